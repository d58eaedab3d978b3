"""``manage.py demo_code``: the code the demo phone shows now, for signing in to the demo as the office,
the administrator or the auditor (they must pass a second factor). Refused in production, where no
account has the demo phone."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "演示环境：显示演示手机验证器当前的 6 位验证码（区工改办、系统管理员、审计员的演示账号登录时用）"

    def handle(self, *args, **options):
        from qinqing.demo import demo_code, demo_secret

        if settings.PRODUCTION:
            raise CommandError("生产环境没有演示手机，本命令只用于演示和开发环境。")
        self.stdout.write(f"当前验证码：{demo_code()}（每 30 秒更换；也可把密钥 {demo_secret()} 加入手机验证器）")
