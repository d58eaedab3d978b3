"""Back up the database and the files under MEDIA_ROOT into one checked tar archive."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from qinqing.backups import create_backup


class Command(BaseCommand):
    help = (
        "备份数据库（PostgreSQL 用 pg_dump，SQLite 用备份接口）和 MEDIA_ROOT 下的导出存档等文件，"
        "生成一个含校验清单的 tar 文件，用备份密钥（QINQING_BACKUP_KEY_FILE，默认 var/backup.key，首次备份时生成）"
        "加密后存放，默认 var/backups/qinqing-YYYYMMDD-HHMMSS.tar.enc。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            "-o",
            help="备份文件路径或目录；默认 var/backups/qinqing-YYYYMMDD-HHMMSS.tar.enc（北京时间）。不覆盖已有文件。",
        )

    def handle(self, *args, output: str | None = None, **options):
        result = create_backup(Path(output) if output else None, out=self.stdout.write)
        from qinqing.backups import record_in_audit_log

        record_in_audit_log("backup", f"备份到 {result.path.name}")
        self.stdout.write(self.style.SUCCESS("备份完成。"))
