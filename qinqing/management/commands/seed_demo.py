"""Fill an empty development database with realistic demo data. Idempotent."""

from __future__ import annotations

from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "载入演示数据（责任单位、各角色演示账号及各模块的演示记录）；可重复执行；生产模式下拒绝执行。"

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("生产模式（QINQING_ENV=production）下不允许载入演示数据。")
        # Each part may contribute a `demo` module with `seed(stdout)`; the ground runs first,
        # then the parts in INSTALLED_APPS order, so that no part imports one above it.
        for config in apps.get_app_configs():
            if not config.name.startswith(("qinqing", "projects", "windows", "followups", "ledger")):
                continue
            try:
                module = import_module(f"{config.name}.demo")
            except ModuleNotFoundError as error:
                if error.name == f"{config.name}.demo":
                    continue
                raise
            module.seed(self.stdout)

        from qinqing.demo import DEMO_PASSWORD, demo_secret, describe_accounts

        self.stdout.write("")
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, name, roles in describe_accounts():
            self.stdout.write(f"  {username:<18} {name:<6} {roles}")
        self.stdout.write(
            "区工改办、系统管理员、审计员还须第二因素：登录后输入演示手机的 6 位验证码，"
            "用 .venv/bin/python manage.py demo_code 取得，"
            f"或把密钥 {demo_secret()} 加入手机验证器（如 Microsoft Authenticator）。"
        )
