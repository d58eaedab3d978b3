"""Backups: what `manage.py backup` writes comes back with `manage.py restore`, on SQLite and on
PostgreSQL alike; a damaged, tampered or foreign archive is refused and changes nothing."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from ledger import archive
from ledger.models import Export
from qinqing import audit, backup_crypto, backups
from qinqing.models import AuditEntry, User
from qinqing.roles import Role
from tests.factories import ProjectMatterFactory, UserFactory

# pg_dump reads committed data only, so every test here commits for real.
pytestmark = pytest.mark.django_db(transaction=True)

WORKBOOK = b"PK\x03\x04 an issued workbook \xe5\xb7\xa5\xe4\xbd\x9c\xe5\x8f\xb0\xe8\xb4\xa6 \x00\xff"


@pytest.fixture
def places(settings, tmp_path: Path) -> Path:
    """MEDIA_ROOT and var/ (where the safety backups go) of this test alone."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"
    return tmp_path


def _records() -> Export:
    """Accounts with roles, a project with two matters, audit rows and an archived export."""
    office = UserFactory(roles=[Role.OFFICE], display_name="改革办")
    first = ProjectMatterFactory()
    ProjectMatterFactory(project=first.project)
    audit.record(action=AuditEntry.Action.LOGIN, actor=office, detail="登录")
    return archive.archive_issue(
        request=None,
        actor=office,
        params="stage=3",
        kind=Export.Kind.LEDGER_XLSX,
        title="工作台账",
        content=WORKBOOK,
        content_type=archive.XLSX,
        filename="工作台账.xlsx",
        row_count=2,
        project=first.project,
    )


def _database() -> dict[str, list[dict[str, Any]]]:
    """Every row of every model table (many-to-many and history tables too), by primary key."""
    rows = {}
    existing = set(connection.introspection.table_names())
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed or model._meta.db_table not in existing:
            continue
        rows[model._meta.label] = list(model._base_manager.order_by("pk").values())
    return rows


def _media(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _state(places: Path) -> tuple[Any, ...]:
    backups_dir = places / "var" / "backups"
    return _database(), _media(places / "media"), sorted(backups_dir.iterdir()) if backups_dir.exists() else []


def _backup(places: Path, name: str = "good.tar") -> Path:
    path = places / name
    call_command("backup", output=str(path), stdout=io.StringIO())
    return path


def _restore(path: Path, **options: Any) -> str:
    out = io.StringIO()
    call_command("restore", str(path), stdout=out, **options)
    return out.getvalue()


def _plain(source: Path, target: Path) -> Path:
    """The tar archive inside an encrypted backup, decrypted with this machine's key."""
    backup_crypto.decrypt_file(source, target, backup_crypto.load_key()[0])
    return target


def _sealed(plain: Path, target: Path) -> Path:
    """An archive encrypted with this machine's key: someone holding the key made it."""
    backup_crypto.encrypt_file(plain, target, backup_crypto.load_key()[0])
    plain.unlink()
    return target


def _rewrite(source: Path, target: Path, edit: Callable[[dict, dict[str, bytes]], None]) -> Path:
    """A copy of a backup with its manifest (and members) edited, checksums left as they are, encrypted
    again with the right key (only the manifest's checksums can catch this one)."""
    with tarfile.open(_plain(source, target.with_suffix(".source"))) as tar:
        contents = {info.name: tar.extractfile(info).read() for info in tar.getmembers()}
    target.with_suffix(".source").unlink()
    manifest = json.loads(contents.pop(backups.MANIFEST))
    edit(manifest, contents)
    contents[backups.MANIFEST] = json.dumps(manifest).encode()
    plain = target.with_suffix(".plain")
    with tarfile.open(plain, "w") as tar:
        for name, data in contents.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return _sealed(plain, target)


def _flip_byte(source: Path, target: Path, member: str) -> Path:
    """A copy of a backup with one byte of a member changed, encrypted again with the right key."""
    plain = _plain(source, target.with_suffix(".plain"))
    data = bytearray(plain.read_bytes())
    with tarfile.open(plain) as tar:
        info = tar.getmember(member)
    data[info.offset_data + info.size // 2] ^= 0xFF
    plain.write_bytes(bytes(data))
    return _sealed(plain, target)


def _manifest(path: Path) -> dict[str, Any]:
    with backups.opened_backup(path) as checked:
        return checked.manifest


def test_backup_then_wipe_then_restore_brings_every_record_and_file_back(places):
    """GIVEN users, a project with matters, audit rows and an archived export file
    WHEN they are backed up, every row and the file are wiped, and the backup is restored
    THEN every row is back with the same id and values, and the file byte for byte."""
    export = _records()
    before = _database()
    media_file = places / "media" / export.file.name
    assert media_file.read_bytes() == WORKBOOK
    path = _backup(places)

    assert backup_crypto.is_encrypted(path)
    with tarfile.open(_plain(path, places / "inside.tar")) as tar:
        manifest = json.loads(tar.extractfile(backups.MANIFEST).read())
        names = set(tar.getnames())
    assert manifest["engine"] == connection.vendor
    assert manifest["tables"]["qinqing_user"] == User.objects.count()
    assert manifest["tables"]["qinqing_auditentry"] == 2
    # the backup itself is in the log (written after the dump, so not in the backup)
    assert AuditEntry.objects.count() == 3
    assert AuditEntry.objects.first().action == AuditEntry.Action.BACKUP
    assert "0002_roles_and_audit_guard" in manifest["migrations"]["qinqing"]
    assert f"media/{export.file.name}" in names
    assert names == set(manifest["members"]) | {backups.MANIFEST}

    call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
    media_file.unlink()
    assert User.objects.count() == AuditEntry.objects.count() == Export.objects.count() == 0

    out = _restore(path, interactive=False)

    assert "与备份清单一致" in out
    after = _database()
    # the restored log carries one more row: the restore itself, by whoever ran the command
    restored = after["qinqing.AuditEntry"].pop()
    assert restored["action"] == AuditEntry.Action.RESTORE
    assert restored["actor_username"].startswith("命令行")
    assert "good.tar" in restored["detail"]
    assert after == before
    assert media_file.read_bytes() == WORKBOOK
    assert archive.read(Export.objects.get(pk=export.pk)) == WORKBOOK  # the recorded SHA-256 still holds
    # the audit log is append-only again: the restored table kept its trigger
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE qinqing_auditentry SET detail = %s", ["篡改"])
    # the id sequences came back too: a new row does not collide with a restored one
    assert UserFactory().pk > max(row["id"] for row in before["qinqing.User"])
    # the state the restore replaced (here: the wiped one) was kept in a safety backup
    (safety,) = (places / "var" / "backups").glob("qinqing-before-restore-*.tar.enc")
    assert _manifest(safety)["tables"]["qinqing_user"] == 0


def test_a_damaged_or_tampered_archive_is_refused_and_changes_nothing(places):
    export = _records()
    good = _backup(places)
    UserFactory(username="after_backup")
    state = _state(places)
    database = backups.DATABASE_MEMBER[connection.vendor]
    garbage = places / "garbage.tar"
    garbage.write_bytes(b"\x00not a backup at all" * 100)
    escaping = _rewrite(
        good,
        places / "escaping.tar",
        lambda manifest, contents: contents.update({"media/../../evil.txt": b"x"}),
    )
    counts = _rewrite(
        good,
        places / "counts.tar",
        lambda manifest, contents: manifest["members"].pop(f"media/{export.file.name}"),
    )
    cases = [
        (places / "missing.tar", "备份文件不存在"),
        (garbage, "不是加密的备份"),
        (_flip_byte(good, places / "database.tar", database), f"{database} 的 SHA-256 校验不符"),
        (_flip_byte(good, places / "media.tar", f"media/{export.file.name}"), "SHA-256 校验不符"),
        (escaping, "不允许的条目"),
        (counts, "与清单不一致"),
    ]
    for path, message in cases:
        with pytest.raises(CommandError, match=message):
            _restore(path, interactive=False)
        assert _state(places) == state, path.name


def test_an_archive_from_the_other_engine_or_a_newer_version_is_refused(places):
    _records()
    good = _backup(places)
    state = _state(places)
    other = "sqlite" if connection.vendor == "postgresql" else "postgresql"

    def to_other_engine(manifest: dict, contents: dict[str, bytes]) -> None:
        mine, theirs = backups.DATABASE_MEMBER[connection.vendor], backups.DATABASE_MEMBER[other]
        manifest["engine"] = other
        manifest["members"][theirs] = manifest["members"].pop(mine)
        contents[theirs] = contents.pop(mine)

    foreign = _rewrite(good, places / "foreign.tar", to_other_engine)
    with pytest.raises(CommandError, match="不能跨数据库类型恢复"):
        _restore(foreign, interactive=False)
    newer = _rewrite(
        good, places / "newer.tar", lambda manifest, contents: manifest["migrations"]["qinqing"].append("9999_future")
    )
    with pytest.raises(CommandError, match="更新版本的程序"):
        _restore(newer, interactive=False)
    assert _state(places) == state


def test_restore_asks_first_and_production_needs_noinput(places, settings, monkeypatch):
    _records()
    good = _backup(places)
    UserFactory(username="after_backup")
    state = _state(places)
    prompts: list[str] = []
    monkeypatch.setattr("builtins.input", lambda prompt="": prompts.append(prompt) or "no")
    with pytest.raises(CommandError, match="已取消"):
        _restore(good)
    assert "输入 yes 继续" in prompts[0]

    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="生产模式"):
        _restore(good)
    assert len(prompts) == 1
    assert _state(places) == state


def test_backup_refuses_to_overwrite_and_names_files_by_shanghai_time(places):
    path = _backup(places)
    with pytest.raises(CommandError, match="文件已存在"):
        _backup(places)
    assert path.stat().st_mode & 0o077 == 0  # a backup holds personal data: owner only
    result = backups.create_backup()
    assert result.path.parent == places / "var" / "backups"
    created_at = datetime.fromisoformat(_manifest(result.path)["created_at"])
    assert created_at.utcoffset() == timedelta(hours=8)
    assert result.path.name == f"qinqing-{created_at:%Y%m%d-%H%M%S}.tar.enc"


def test_postgresql_connection_goes_through_the_environment():
    """The password reaches pg_dump/pg_restore as PGPASSWORD, never on the command line."""
    env = backups._pg_env({"NAME": "x", "HOST": "db", "PORT": "5433", "USER": "u", "PASSWORD": "s3cret"})
    assert (env["PGHOST"], env["PGPORT"], env["PGUSER"], env["PGPASSWORD"]) == ("db", "5433", "u", "s3cret")
    assert backups._dbname({"NAME": "-a'b\\c"}) == "--dbname=dbname='-a\\'b\\\\c'"


def test_a_backup_is_encrypted_with_a_key_kept_apart_and_a_tampered_file_is_refused(places):
    """The backup reads as noise without the key; the key is made at the first backup, owner-only,
    outside var/backups; a flipped byte, a cut, another machine's key or a plain archive are refused
    before anything changes."""
    export = _records()
    out = io.StringIO()
    call_command("backup", output=str(places / "good.tar.enc"), stdout=out)
    good = places / "good.tar.enc"
    key = places / "var" / "backup.key"
    assert "已生成备份密钥" in out.getvalue()
    assert key.stat().st_mode & 0o077 == 0
    assert key.parent != good.parent
    assert not (places / "var" / "backups" / "backup.key").exists()
    content = good.read_bytes()
    for plain_text in (WORKBOOK[:12], export.title.encode(), b"qinqing_auditentry", b"manifest.json"):
        assert plain_text not in content
    # a backup made on another machine, with its own key
    key.rename(places / "our.key")
    call_command("backup", output=str(places / "other.tar.enc"), stdout=io.StringIO())
    (places / "our.key").replace(key)
    UserFactory(username="after_backup")
    state = _state(places)

    flipped = bytearray(content)
    flipped[len(flipped) // 2] ^= 0x01
    (places / "flipped.tar.enc").write_bytes(bytes(flipped))
    (places / "cut.tar.enc").write_bytes(content[: len(content) - 40])
    (places / "longer.tar.enc").write_bytes(content + b"\x00")
    (places / "noise.tar.enc").write_bytes(backup_crypto.MAGIC + bytes(range(256)) * 8)
    plain = _plain(good, places / "plain.tar")
    cases = [
        (places / "flipped.tar.enc", "无法解密，已损坏或被篡改"),
        (places / "cut.tar.enc", "已损坏或被篡改"),
        (places / "longer.tar.enc", "末尾有多余内容"),
        (places / "noise.tar.enc", "不是用本机的备份密钥"),
        (plain, "不是加密的备份"),
    ]
    for path, message in cases:
        with pytest.raises(CommandError, match=message):
            _restore(path, interactive=False)
        assert _state(places) == state, path.name
    assert not list((places / "var").glob(".qinqing-decrypt-*"))  # no decrypted copy is left behind

    # another machine's key: told apart from damage
    with pytest.raises(CommandError, match="不是用本机的备份密钥"):
        _restore(places / "other.tar.enc", interactive=False)
    # no key at all
    key.rename(places / "our.key")
    with pytest.raises(CommandError, match="找不到备份密钥"):
        _restore(good, interactive=False)
    (places / "our.key").replace(key)
    # a key others can read is refused
    key.chmod(0o644)
    with pytest.raises(CommandError, match="权限过宽"):
        _restore(good, interactive=False)
    key.chmod(0o600)
    assert _state(places) == state

    # an old, unencrypted archive is restored only when asked for explicitly
    assert "与备份清单一致" in _restore(plain, interactive=False, unencrypted=True)
