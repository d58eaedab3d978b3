"""``manage.py create_admin USERNAME 姓名``: the first administrator of a new installation.

Every later account is made by an administrator on the 人员账号 page. The password is random, shown
once here, and must be changed at the first login; the creation is in the audit log."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from qinqing.roles import Role


class Command(BaseCommand):
    help = "新建一个系统管理员账号（新安装时用；以后的账号在“人员账号”页面新建）"

    def add_arguments(self, parser):
        parser.add_argument("username", help="用户名，3–30 位英文字母、数字或 _ . -")
        parser.add_argument("display_name", help="姓名")

    def handle(self, *args, username: str, display_name: str, **options):
        from qinqing import services
        from qinqing.validators import username_validator

        try:
            username_validator(username)
            user, password = services.account_create(
                actor=None, request=None, username=username, display_name=display_name, roles=[Role.ADMIN]
            )
        except ValidationError as error:
            raise CommandError("；".join(error.messages)) from None
        self.stdout.write(f"已新建系统管理员 {user.username}（{user.display_name}）。")
        self.stdout.write(f"初始密码（只显示这一次，首次登录须修改）：{password}")
