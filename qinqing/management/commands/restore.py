"""Restore the database and the files under MEDIA_ROOT from a backup made by ``manage.py backup``."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from qinqing import backups

logger = logging.getLogger("qinqing.backups")


class Command(BaseCommand):
    help = (
        "从 backup 命令生成的加密备份恢复数据库和媒体文件：先用备份密钥解密并完整校验（加密认证、格式、SHA-256、"
        "数据库类型、迁移），"
        "再自动备份当前数据，然后恢复并逐表核对行数。会覆盖当前全部数据。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="备份文件，例如 var/backups/qinqing-20261125-020000.tar.enc")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="不询问确认。生产模式下必须显式给出此选项才会恢复。",
        )
        parser.add_argument(
            "--unencrypted",
            action="store_true",
            help="接受未加密的旧备份（本版本之前生成的）；加密备份不需要此选项。",
        )
        parser.add_argument(
            "--no-safety-backup",
            action="store_false",
            dest="safety_backup",
            help="恢复前不自动备份当前数据（不建议：备份之后写入的审计日志将无法找回）。",
        )

    def handle(self, *args, file: str, interactive: bool, safety_backup: bool, unencrypted: bool = False, **options):
        path = Path(file)
        with backups.opened_backup(path, allow_plain=unencrypted) as checked:
            self._restore(path, checked, interactive=interactive, safety_backup=safety_backup)

    def _restore(self, path: Path, checked, *, interactive: bool, safety_backup: bool) -> None:
        engine = backups.ENGINE_NAMES[checked.engine]
        media_root = Path(settings.MEDIA_ROOT)
        self.stdout.write(
            f"备份文件校验通过：{path}\n"
            f"  备份时间 {checked.manifest['created_at']}，{engine}，{len(checked.manifest['tables'])} 张表、"
            f"共 {checked.rows} 行，{len(checked.media_members)} 个媒体文件。"
        )
        if settings.PRODUCTION and interactive:
            raise CommandError(
                "生产模式（QINQING_ENV=production）下恢复会覆盖正式数据，不接受交互确认。"
                "请先停止应用服务，确认无误后显式执行：python manage.py restore --noinput 备份文件"
            )
        work = Path(tempfile.mkdtemp(prefix=".qinqing-restore-", dir=self._work_parent()))
        try:
            dump = backups.prepare_database(checked, work)
            if interactive:
                answer = input(
                    f"将用此备份覆盖数据库 {self._target()} 和媒体目录 {media_root}；"
                    "备份之后写入的全部数据（包括审计日志）都会被替换。输入 yes 继续："
                )
                if answer.strip().lower() != "yes":
                    raise CommandError("已取消，未做任何更改。")
            if safety_backup:
                self.stdout.write("恢复前先备份当前数据：")
                try:
                    backups.create_backup(stem="qinqing-before-restore", out=self.stdout.write)
                except CommandError as error:
                    raise CommandError(
                        f"恢复前的自动备份失败，未做任何更改：{error}\n如确需恢复，可加 --no-safety-backup。"
                    ) from None
            staging = backups.stage_media(checked, media_root)
            try:
                backups.restore_database(checked, dump)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            backups.swap_media(media_root, staging)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        logger.warning("database and media restored from %s", path)
        self.stdout.write(f"已恢复数据库和 {len(checked.media_members)} 个媒体文件。")

        mismatches = backups.recount(checked)
        if mismatches:
            lines = [
                f"  {table}：备份 {expected} 行，恢复后 {'表不存在' if found is None else f'{found} 行'}"
                for table, (expected, found) in sorted(mismatches.items())
            ]
            raise CommandError("恢复后逐表核对行数，与备份清单不一致：\n" + "\n".join(lines))
        self.stdout.write(f"已逐表核对：{len(checked.manifest['tables'])} 张表、共 {checked.rows} 行，与备份清单一致。")
        # written after the check, so the restored log carries the restore itself
        backups.record_in_audit_log(
            "restore", f"从 {path.name}（备份时间 {checked.manifest['created_at']}）恢复 {checked.rows} 行"
        )
        pending = backups.pending_migrations(checked)
        if pending:
            self.stdout.write(
                self.style.WARNING(
                    f"此备份早于当前程序版本（缺少 {len(pending)} 个迁移），请运行 python manage.py migrate。"
                )
            )
        self.stdout.write(self.style.SUCCESS("恢复完成。"))

    @staticmethod
    def _work_parent() -> Path:
        parent = Path(settings.VAR_DIR)
        parent.mkdir(parents=True, exist_ok=True)
        return parent

    @staticmethod
    def _target() -> str:
        from django.db import connection

        return str(connection.settings_dict["NAME"])
