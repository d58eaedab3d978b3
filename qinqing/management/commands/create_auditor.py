"""``manage.py create_auditor USERNAME 姓名``: the first auditor of an installation (三员分立).

Every later auditor account is made by an administrator and is usable only once a serving auditor approves
it (``qinqing.second_factor``). While no active auditor exists, someone with access to the server makes the
first one here: it is approved by this command (recorded in the audit log), and its holder still changes
the random password and binds their own phone at the first sign-in."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from qinqing.roles import Role


class Command(BaseCommand):
    help = "新建第一个审计员账号（系统中还没有已启用的审计员时用；以后的审计员由管理员新建、现任审计员批准）"

    def add_arguments(self, parser):
        parser.add_argument("username", help="用户名，3–30 位英文字母、数字或 _ . -")
        parser.add_argument("display_name", help="姓名")

    def handle(self, *args, username: str, display_name: str, **options):
        from qinqing import audit, services
        from qinqing.models import AuditEntry, User
        from qinqing.validators import username_validator

        serving = User.objects.filter(
            groups__name=Role.AUDITOR.value, is_active=True, auditor_activated_at__isnull=False
        ).first()
        if serving is not None:
            raise CommandError(
                f"已有启用的审计员 {serving.username}：新的审计员账号请由系统管理员在“人员账号”页面新建，"
                "再由现任审计员在“审计日志 → 批准启用审计员”中批准。"
            )
        try:
            username_validator(username)
            with transaction.atomic():
                user, password = services.account_create(
                    actor=None, request=None, username=username, display_name=display_name, roles=[Role.AUDITOR]
                )
                User.objects.filter(pk=user.pk).update(auditor_activated_at=timezone.now())
                audit.record(
                    action=AuditEntry.Action.AUDITOR_APPROVE,
                    obj=user,
                    username="manage.py create_auditor",
                    detail="系统中没有已启用的审计员，由服务器管理命令建立并启用第一个审计员",
                )
        except ValidationError as error:
            raise CommandError("；".join(error.messages)) from None
        self.stdout.write(f"已新建并启用审计员 {user.username}（{user.display_name}）。")
        self.stdout.write(f"初始密码（只显示这一次）：{password}")
        self.stdout.write("首次登录须修改密码，并用本人的手机绑定第二因素。")
