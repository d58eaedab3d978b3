"""``manage.py spgl_exchange``: exchange with the city's staging database now; ``--schedule`` instead queues the
periodic run on the background worker (every ``QINQING_SPGL_MINUTES``), unless one is already queued."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "与市工程建设项目审批管理系统的 SPGL 前置库交换一次数据；--schedule 在后台任务中按周期交换"

    def add_arguments(self, parser):
        parser.add_argument("--schedule", action="store_true", help="在后台工作进程中排定周期交换")

    def handle(self, *args, schedule: bool = False, **options):
        if schedule:
            from projects.exchange.tasks import schedule as queue_next

            self.stdout.write(
                "已排定周期交换。" if queue_next() else "周期交换已在队列中，或已关闭（QINQING_SPGL_MINUTES=0）。"
            )
            return
        from projects.exchange.runner import run_exchange

        run = run_exchange()
        if run is None:
            raise CommandError("另一次数据交换正在进行，请稍后再试。")
        self.stdout.write(
            f"数据交换{run.status}：读取 {run.rows_read}，已处理 {run.rows_applied}，拒收 {run.rows_refused}，"
            f"待人工处理 {run.conflicts}，上报 {run.rows_written}，市系统退回 {run.city_refusals}"
            + (f"；错误：{run.error}" if run.error else "")
        )
