from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from qinqing.models import CalendarYear
from qinqing.signals import calendar_changed


class Command(BaseCommand):
    help = (
        "按当前工作日历重算未办结事项的到期日和预警日：默认重算计时涉及去年至明年的事项，也可用 --year 指定年份。"
        "升级后（例如未公布年份的法定节假日规则或内置节假日数据有变）执行一次；可重复执行，结果相同。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, action="append", help="只重算计时涉及该年的事项（可重复）")

    def handle(self, *args, **options):
        this_year = timezone.localdate().year
        years = sorted(set(options["year"] or range(this_year - 1, this_year + 2)))
        if any(not 2000 <= year <= 2100 for year in years):
            raise CommandError("年份应在 2000—2100 之间。")
        for year in years:
            with transaction.atomic():  # the receivers lock the matters they recompute
                counts = [n for _, n in calendar_changed.send(sender=CalendarYear, year=year) if isinstance(n, int)]
            self.stdout.write(f"{year} 年：{sum(counts)} 个未办结事项的到期日按新日历改变，已重算。")
