from django.core.management.base import BaseCommand

from qinqing import sms


class Command(BaseCommand):
    help = (
        "短信：排入今天的到期前提醒（到期日在两个工作日内的在办事项，每个事项每个到期日只提醒一次），"
        "发送到时的待发送短信，并为后台任务进程排好下一轮（最迟次日 9:00）。可重复执行；可由定时任务每天执行一次。"
    )

    def handle(self, *args, **options):
        self.stdout.write(f"短信：{sms.run_pass()}")
