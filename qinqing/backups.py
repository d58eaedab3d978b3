"""Backups: one tar archive with the database, the files under MEDIA_ROOT and a manifest.

Layout of ``qinqing-YYYYMMDD-HHMMSS.tar``::

    database.dump       PostgreSQL: ``pg_dump --format=custom``
    database.sqlite3    SQLite: a copy made with the sqlite3 backup API
    media/...           every regular file under MEDIA_ROOT (the export archive, uploaded ledgers)
    manifest.json       date, engine, migration state, row count of every model table, and the
                        SHA-256 and size of every other member

The row counts are taken from the same snapshot as the dump (PostgreSQL: an exported snapshot that
``pg_dump --snapshot`` reuses; SQLite: the copy itself), so they agree even while the hall works.

A restore checks the whole archive before it changes anything (structure, manifest, engine,
migrations, every checksum, the dump readable), takes a safety backup of the current state (the
restore replaces the append-only audit log too, so rows written since the backup would otherwise be
lost), restores the database in one transaction, swaps the media files in, and re-counts every
table against the manifest. See docs/backup.md.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any
from zoneinfo import ZoneInfo

import django
from django.conf import settings
from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from qinqing import backup_crypto

logger = logging.getLogger(__name__)

FORMAT = "qinqing-backup"
VERSION = 1
MANIFEST = "manifest.json"
MEDIA_PREFIX = "media/"
DATABASE_MEMBER = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
ENGINE_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Work directories a restore leaves inside MEDIA_ROOT while it runs; never backed up.
WORK_PREFIX = ".qinqing-"
# pg_restore gives up (and rolls back) instead of waiting forever for a table the running
# application still holds; docs/backup.md asks to stop the application first.
LOCK_TIMEOUT = "30s"
_CHUNK = 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

Output = Callable[[str], None]


class BackupError(CommandError):
    """A backup or restore refused or failed; the message is for the operator, in Chinese."""


@dataclass
class BackupResult:
    path: Path
    sha256: str
    size: int
    tables: int
    rows: int
    media_files: int


@dataclass
class CheckedBackup:
    """An archive whose structure, manifest and checksums have been verified."""

    path: Path
    manifest: dict[str, Any]
    members: dict[str, tarfile.TarInfo] = field(default_factory=dict)
    # the file the person named (encrypted); ``path`` is its decrypted copy
    source: Path | None = None

    @property
    def engine(self) -> str:
        return self.manifest["engine"]

    @property
    def media_members(self) -> list[str]:
        return sorted(name for name in self.members if name.startswith(MEDIA_PREFIX))

    @property
    def rows(self) -> int:
        return sum(self.manifest["tables"].values())


# --- helpers ------------------------------------------------------------------------------------


def _connection() -> BaseDatabaseWrapper:
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor not in DATABASE_MEMBER:
        raise BackupError(f"不支持备份 {connection.vendor} 数据库；仅支持 PostgreSQL 和 SQLite。")
    return connection


def backup_dir() -> Path:
    return Path(settings.VAR_DIR) / "backups"


def _now() -> str:
    return timezone.localtime(timezone.now(), SHANGHAI).strftime("%Y%m%d-%H%M%S")


def _free_name(directory: Path, stem: str) -> Path:
    candidate = directory / f"{stem}.tar{backup_crypto.SUFFIX}"
    n = 1
    while candidate.exists():
        n += 1
        candidate = directory / f"{stem}-{n}.tar{backup_crypto.SUFFIX}"
    return candidate


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _HashingReader:
    """Hands ``tarfile`` the bytes of a file while computing their SHA-256."""

    def __init__(self, handle: IO[bytes]):
        self._handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


def _model_tables(connection: BaseDatabaseWrapper) -> set[str]:
    return set(connection.introspection.django_table_names(only_existing=False, include_views=False))


def _count_rows(cursor: Any, tables: list[str], quote: Callable[[str], str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 -- a model's table name, quoted
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _migrations(cursor: Any, existing: set[str]) -> dict[str, list[str]]:
    state: dict[str, list[str]] = {}
    if "django_migrations" not in existing:
        return state
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
    for app, name in cursor.fetchall():
        state.setdefault(app, []).append(name)
    return state


# --- PostgreSQL client tools ----------------------------------------------------------------------


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"未找到 {name}（PostgreSQL 客户端工具）；请安装与数据库服务器相同主版本的客户端，"
            "例如 apt-get install postgresql-client-15。"
        )
    return path


def _tool_version(path: str) -> str:
    result = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)  # noqa: S603
    return result.stdout.strip()


def _major(version: str) -> int | None:
    match = re.search(r"(\d+)(?:\.\d+)?", version)
    return int(match.group(1)) if match else None


def _pg_env(settings_dict: dict[str, Any]) -> dict[str, str]:
    """The connection for pg_dump/pg_restore, as libpq environment variables: the password never
    appears on a command line (where every user of the machine could read it in the process list)."""
    env = dict(os.environ)
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        value = settings_dict.get(key)
        if value:
            env[variable] = str(value)
    options = settings_dict.get("OPTIONS") or {}
    for key, variable in (
        ("sslmode", "PGSSLMODE"),
        ("sslrootcert", "PGSSLROOTCERT"),
        ("sslcert", "PGSSLCERT"),
        ("sslkey", "PGSSLKEY"),
        ("service", "PGSERVICE"),
    ):
        if options.get(key):
            env[variable] = str(options[key])
    env["PGAPPNAME"] = "qinqing-backup"
    return env


def _dbname(settings_dict: dict[str, Any]) -> str:
    """``--dbname`` as a conninfo string, quoted, so a name with '=' or a leading '-' stays a name."""
    name = str(settings_dict["NAME"]).replace("\\", "\\\\").replace("'", "\\'")
    return f"--dbname=dbname='{name}'"


def _run(args: list[str], env: dict[str, str], failure: str) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        detail = "\n".join(result.stderr.strip().splitlines()[-8:])
        raise BackupError(f"{failure}\n{detail}")


# --- backup ---------------------------------------------------------------------------------------


def _dump_postgresql(connection: BaseDatabaseWrapper, target: Path) -> dict[str, Any]:
    pg_dump = _tool("pg_dump")
    snapshot_connection = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with snapshot_connection.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, server_version = cursor.fetchone()
            existing = set(snapshot_connection.introspection.table_names(cursor, include_views=False))
            tables = _count_rows(
                cursor, sorted(_model_tables(connection) & existing), snapshot_connection.ops.quote_name
            )
            migrations = _migrations(cursor, existing)
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    "--no-password",
                    f"--file={target}",
                    _dbname(connection.settings_dict),
                ],
                _pg_env(connection.settings_dict),
                "pg_dump 失败，未生成备份：",
            )
            cursor.execute("ROLLBACK")
    finally:
        snapshot_connection.close()
    return {
        "tables": tables,
        "migrations": migrations,
        "server_version": server_version,
        "tool": _tool_version(pg_dump),
    }


def _dump_sqlite(connection: BaseDatabaseWrapper, target: Path) -> dict[str, Any]:
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
        cursor = copy.cursor()
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        existing = {row[0] for row in cursor.fetchall()}
        tables = _count_rows(cursor, sorted(_model_tables(connection) & existing), connection.ops.quote_name)
        migrations = _migrations(cursor, existing)
    finally:
        copy.close()
    return {"tables": tables, "migrations": migrations, "server_version": sqlite3.sqlite_version, "tool": ""}


def _media_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(relative POSIX name, path) of every regular file under MEDIA_ROOT, sorted; symlinks skipped."""
    if not root.is_dir():
        return
    for directory, dirnames, filenames in os.walk(root):
        here = Path(directory)
        if here == root:
            dirnames[:] = [d for d in dirnames if not d.startswith(WORK_PREFIX)]
        dirnames.sort()
        for filename in sorted(filenames):
            path = here / filename
            if path.is_symlink() or not path.is_file():
                logger.warning("backup: skipped %s (not a regular file)", path)
                continue
            yield path.relative_to(root).as_posix(), path


def _tarinfo(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(mtime)
    info.mode = 0o640
    return info


def create_backup(output: Path | None = None, *, stem: str = "qinqing", out: Output | None = None) -> BackupResult:
    """Write one backup archive and return where it is; nothing is left behind if it fails."""
    connection = _connection()
    engine = connection.vendor
    if output is None or output.is_dir():
        directory = output or backup_dir()
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        output = _free_name(directory, f"{stem}-{_now()}")
    elif output.exists():
        raise BackupError(f"文件已存在，不会覆盖：{output}")
    else:
        output.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key, new_key = backup_crypto.load_key(create=True)
    if new_key and out is not None:
        out(
            f"已生成备份密钥 {backup_crypto.key_path()}：备份用它加密，没有它无法恢复。"
            "请立即把它另存到 U 盘或打印后放进保险柜，与备份副本分开保管。"
        )
    created_at = timezone.localtime(timezone.now(), SHANGHAI)
    media_root = Path(settings.MEDIA_ROOT)
    partial = output.with_name(f"{output.name}.partial")
    with tempfile.TemporaryDirectory(prefix=".qinqing-backup-", dir=output.parent) as work:
        plain = Path(work) / "backup.tar"
        dump = Path(work) / DATABASE_MEMBER[engine]
        state = _dump_postgresql(connection, dump) if engine == "postgresql" else _dump_sqlite(connection, dump)
        members: dict[str, dict[str, Any]] = {}
        try:
            descriptor = os.open(plain, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with (
                os.fdopen(descriptor, "wb") as handle,
                tarfile.open(fileobj=handle, mode="w", format=tarfile.PAX_FORMAT) as tar,
            ):
                sources = [(DATABASE_MEMBER[engine], dump)]
                sources += [(MEDIA_PREFIX + name, path) for name, path in _media_files(media_root)]
                for name, path in sources:
                    stat = path.stat()
                    with path.open("rb") as source:
                        reader = _HashingReader(source)
                        tar.addfile(_tarinfo(name, stat.st_size, stat.st_mtime), reader)
                    members[name] = {"sha256": reader.digest.hexdigest(), "size": reader.size}
                manifest = {
                    "format": FORMAT,
                    "version": VERSION,
                    "created_at": created_at.isoformat(timespec="seconds"),
                    "engine": engine,
                    "database": {
                        "name": Path(str(connection.settings_dict["NAME"])).name
                        if engine == "sqlite"
                        else str(connection.settings_dict["NAME"]),
                        "server_version": state["server_version"],
                        "dump_tool": state["tool"],
                    },
                    "django": django.get_version(),
                    "migrations": state["migrations"],
                    "tables": state["tables"],
                    "members": members,
                }
                content = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
                info = _tarinfo(MANIFEST, len(content), created_at.timestamp())
                tar.addfile(info, _HashingReader(_BytesReader(content)))
            dump.unlink()
            backup_crypto.encrypt_file(plain, partial, key)
            os.replace(partial, output)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    result = BackupResult(
        path=output,
        sha256=_sha256_file(output),
        size=output.stat().st_size,
        tables=len(state["tables"]),
        rows=sum(state["tables"].values()),
        media_files=len(members) - 1,
    )
    if out is not None:
        out(
            f"已备份 {ENGINE_NAMES[engine]} 数据库（{result.tables} 张表，共 {result.rows} 行）"
            f"和 {result.media_files} 个媒体文件。"
        )
        out(f"备份文件：{output}（{result.size} 字节）")
        out(f"SHA-256：{result.sha256}（请与异地副本一同记录）")
    return result


class _BytesReader:
    def __init__(self, content: bytes):
        self._content = content
        self._offset = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._content) if size < 0 else self._offset + size
        data = self._content[self._offset : end]
        self._offset += len(data)
        return data


# --- checking an archive --------------------------------------------------------------------------


def _garbled(path: Path, why: str) -> BackupError:
    return BackupError(f"备份文件无效或已损坏，未做任何更改：{path}（{why}）")


def _safe_name(name: str) -> bool:
    if not name or "\\" in name or "\x00" in name or name.startswith("/"):
        return False
    parts = name.split("/")
    return all(part not in ("", ".", "..") for part in parts)


def _check_manifest(path: Path, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _garbled(path, "不是亲清帮办的备份清单")
    if not isinstance(data.get("database"), dict):
        raise _garbled(path, "清单缺少数据库信息")
    if data.get("version") != VERSION:
        raise _garbled(path, f"备份格式版本 {data.get('version')!r} 不受支持")
    if data.get("engine") not in DATABASE_MEMBER or not isinstance(data.get("created_at"), str):
        raise _garbled(path, "清单缺少数据库类型或日期")
    tables, migrations, members = data.get("tables"), data.get("migrations"), data.get("members")
    if not isinstance(tables, dict) or not all(
        isinstance(k, str) and type(v) is int and v >= 0 for k, v in tables.items()
    ):
        raise _garbled(path, "清单中的行数无效")
    if not isinstance(migrations, dict) or not all(
        isinstance(v, list) and all(isinstance(n, str) for n in v) for v in migrations.values()
    ):
        raise _garbled(path, "清单中的迁移状态无效")
    if not isinstance(members, dict) or not all(
        isinstance(v, dict)
        and isinstance(v.get("sha256"), str)
        and _SHA256.match(v["sha256"])
        and type(v.get("size")) is int
        for v in members.values()
    ):
        raise _garbled(path, "清单中的校验值无效")
    if DATABASE_MEMBER[data["engine"]] not in members:
        raise _garbled(path, "清单中没有数据库文件")
    return data


def _read_member(tar: tarfile.TarFile, info: tarfile.TarInfo) -> Iterator[bytes]:
    handle = tar.extractfile(info)
    if handle is None:
        raise tarfile.ReadError(info.name)
    while chunk := handle.read(_CHUNK):
        yield chunk


@contextmanager
def opened_backup(path: Path, *, allow_plain: bool = False) -> Iterator[CheckedBackup]:
    """A backup decrypted (into a private work directory, removed afterwards) and verified completely;
    BackupError, changing nothing, if it does not authenticate or anything in it is off. An archive
    that is not encrypted (made before backups were) is accepted only with ``allow_plain``."""
    if not path.is_file():
        raise BackupError(f"备份文件不存在：{path}")
    if not backup_crypto.is_encrypted(path):
        if not allow_plain:
            raise BackupError(
                f"{path} 不是加密的备份。本版本只恢复加密备份；确是升级前生成的旧备份、且来源可靠的，"
                "可加 --unencrypted 恢复。未做任何更改。"
            )
        yield check_backup(path)
        return
    key, _ = backup_crypto.load_key()
    parent = Path(settings.VAR_DIR)
    parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".qinqing-decrypt-", dir=parent) as work:
        plain = Path(work) / "backup.tar"
        backup_crypto.decrypt_file(path, plain, key)
        checked = check_backup(plain)
        checked.source = path
        yield checked


def check_backup(path: Path) -> CheckedBackup:
    """Open and verify a (decrypted) archive completely; BackupError (changing nothing) if anything is
    off."""
    if not path.is_file():
        raise BackupError(f"备份文件不存在：{path}")
    try:
        with tarfile.open(path, mode="r:") as tar:
            members: dict[str, tarfile.TarInfo] = {}
            for info in tar.getmembers():
                if not info.isreg() or not _safe_name(info.name):
                    raise _garbled(path, f"包含不允许的条目 {info.name!r}")
                if info.name in members:
                    raise _garbled(path, f"条目 {info.name!r} 重复")
                if info.name != MANIFEST and not (
                    info.name in DATABASE_MEMBER.values() or info.name.startswith(MEDIA_PREFIX)
                ):
                    raise _garbled(path, f"包含未知条目 {info.name!r}")
                members[info.name] = info
            if MANIFEST not in members:
                raise _garbled(path, "缺少 manifest.json")
            try:
                data = json.loads(b"".join(_read_member(tar, members.pop(MANIFEST))).decode())
            except (UnicodeDecodeError, ValueError):
                raise _garbled(path, "manifest.json 无法解析") from None
            manifest = _check_manifest(path, data)
            if set(members) != set(manifest["members"]):
                raise _garbled(path, "归档中的文件与清单不一致，可能被篡改")
            checked = CheckedBackup(path=path, manifest=manifest, members=members)
            _check_engine(checked)
            _check_migrations(checked)
            for name in sorted(members):
                expected = manifest["members"][name]
                digest = hashlib.sha256()
                size = 0
                for chunk in _read_member(tar, members[name]):
                    digest.update(chunk)
                    size += len(chunk)
                if size != expected["size"] or digest.hexdigest() != expected["sha256"]:
                    raise _garbled(path, f"{name} 的 SHA-256 校验不符，文件已损坏或被篡改")
    except (tarfile.TarError, EOFError, OSError) as error:
        raise _garbled(path, f"无法作为 tar 归档读取：{error}") from None
    return checked


def _check_engine(checked: CheckedBackup) -> None:
    current = _connection().vendor
    if checked.engine != current:
        raise BackupError(
            f"此备份来自 {ENGINE_NAMES[checked.engine]} 数据库，当前系统使用 {ENGINE_NAMES[current]}；"
            "不能跨数据库类型恢复，未做任何更改。"
        )


def _check_migrations(checked: CheckedBackup) -> None:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    unknown = [
        f"{app}.{name}"
        for app, names in checked.manifest["migrations"].items()
        if app in loader.migrated_apps
        for name in names
        if (app, name) not in loader.disk_migrations
    ]
    if unknown:
        shown = "、".join(unknown[:5]) + ("等" if len(unknown) > 5 else "")
        raise BackupError(
            f"此备份来自更新版本的程序（包含本程序没有的迁移 {shown}）；请用相应版本的程序恢复，未做任何更改。"
        )


def pending_migrations(checked: CheckedBackup) -> list[str]:
    """Migrations this code has that the backup had not applied (the backup is older)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    applied = {(app, name) for app, names in checked.manifest["migrations"].items() for name in names}
    return sorted(f"{app}.{name}" for app, name in loader.disk_migrations if (app, name) not in applied)


# --- restore --------------------------------------------------------------------------------------


def _extract(tar: tarfile.TarFile, checked: CheckedBackup, name: str, target: Path) -> Path:
    """Write one member to ``target`` (mode 0640), checking its SHA-256 again while writing."""
    info = checked.members[name]
    digest = hashlib.sha256()
    target.parent.mkdir(mode=0o750, parents=True, exist_ok=True)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    with os.fdopen(descriptor, "wb") as handle:
        for chunk in _read_member(tar, info):
            digest.update(chunk)
            handle.write(chunk)
    os.utime(target, (info.mtime, info.mtime))
    if digest.hexdigest() != checked.manifest["members"][name]["sha256"]:
        raise _garbled(checked.path, f"{name} 在读取期间发生变化")
    return target


def prepare_database(checked: CheckedBackup, work: Path) -> Path:
    """Extract the database member and make sure the client can read it, before anything changes."""
    name = DATABASE_MEMBER[checked.engine]
    with tarfile.open(checked.path, mode="r:") as tar:
        dump = _extract(tar, checked, name, work / name)
    if checked.engine == "postgresql":
        pg_restore = _tool("pg_restore")
        tool = str(checked.manifest["database"].get("dump_tool") or "未知版本的 pg_dump")
        _run(
            [pg_restore, "--list", str(dump)],
            dict(os.environ),
            f"pg_restore 无法读取备份中的数据库文件，未做任何更改（备份由 {tool} 生成，"
            f"本机为 {_tool_version(pg_restore)}；恢复需要不低于备份时主版本的 PostgreSQL 客户端工具）：",
        )
    else:
        source = sqlite3.connect(dump)
        try:
            result = source.execute("PRAGMA integrity_check").fetchone()
        except sqlite3.DatabaseError as error:
            raise _garbled(checked.path, f"SQLite 数据库文件无法读取：{error}") from None
        finally:
            source.close()
        if result is None or result[0] != "ok":
            raise _garbled(checked.path, "SQLite 数据库文件完整性检查失败")
    return dump


def stage_media(checked: CheckedBackup, media_root: Path) -> Path:
    """Extract the backup's media files into a work directory inside MEDIA_ROOT (same file system,
    so the swap is a rename); the current files are not touched yet."""
    media_root.mkdir(mode=0o750, parents=True, exist_ok=True)
    staging = media_root / f"{WORK_PREFIX}restore-{secrets.token_hex(4)}"
    staging.mkdir(mode=0o750)
    try:
        with tarfile.open(checked.path, mode="r:") as tar:
            for name in checked.media_members:
                _extract(tar, checked, name, staging / PurePosixPath(name[len(MEDIA_PREFIX) :]))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def swap_media(media_root: Path, staging: Path) -> None:
    """Replace MEDIA_ROOT's contents with the staged ones. The old files are in the safety backup."""
    replaced = media_root / f"{WORK_PREFIX}replaced-{secrets.token_hex(4)}"
    replaced.mkdir(mode=0o700)
    for entry in media_root.iterdir():
        if entry not in (staging, replaced) and not entry.name.startswith(WORK_PREFIX):
            entry.rename(replaced / entry.name)
    for entry in staging.iterdir():
        entry.rename(media_root / entry.name)
    staging.rmdir()
    shutil.rmtree(replaced)


def restore_database(checked: CheckedBackup, dump: Path) -> None:
    connection = _connection()
    if connection.in_atomic_block:
        raise BackupError("不能在事务中恢复数据库。")
    if checked.engine == "postgresql":
        # pg_restore drops every table it restores; our own idle connection must not hold a lock.
        connection.close()
        env = _pg_env(connection.settings_dict)
        env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c lock_timeout={LOCK_TIMEOUT}".strip()
        _run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                "--no-password",
                _dbname(connection.settings_dict),
                str(dump),
            ],
            env,
            "pg_restore 失败；恢复在单个事务中执行，已整体回滚，数据库未改变"
            "（如提示锁等待超时，请先停止应用服务再恢复）：",
        )
    else:
        # The backup API in reverse: the copy replaces the live database in one step, under SQLite's
        # own locking, so the file never holds half of each.
        connection.ensure_connection()
        source = sqlite3.connect(dump)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


def recount(checked: CheckedBackup) -> dict[str, tuple[int, int | None]]:
    """Tables whose row count differs from the manifest: {table: (expected, found or None)}."""
    connection = _connection()
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor, include_views=False))
        present = [t for t in checked.manifest["tables"] if t in existing]
        counts = _count_rows(cursor, present, connection.ops.quote_name)
    return {
        table: (expected, counts.get(table))
        for table, expected in checked.manifest["tables"].items()
        if counts.get(table) != expected
    }


def record_in_audit_log(action: str, detail: str) -> None:
    """A row in the audit log for a backup or a restore, made by whoever ran the command."""
    import getpass

    from qinqing import audit

    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    audit.record(action=action, username=f"命令行（{who}）"[:150], detail=detail)
