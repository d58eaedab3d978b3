from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from projects.catalogue import load_catalogue
from qinqing.demo import MATTERS_CSV


class Command(BaseCommand):
    help = "从 CSV 载入审批阶段和事项目录；可重复执行，已有事项保持管理员修改后的内容。"

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(MATTERS_CSV), help="CSV 文件，默认为内置的 matters.csv")

    def handle(self, *args, path, **options):
        csv_path = Path(path)
        if not csv_path.exists():
            raise CommandError(f"找不到文件：{csv_path}")
        try:
            report = load_catalogue(csv_path)
        except (KeyError, ValueError) as error:
            raise CommandError(
                f"文件格式不对：{error}。须含 stage_no, stage, matter, category, responsible_unit, time_limit_workdays, materials_or_note 列。"
            ) from None
        self.stdout.write(
            f"事项目录：新建阶段 {report.stages_created} 个，新建事项 {report.matters_created} 个，保留已有事项 {report.matters_kept} 个，"
            f"载入申请材料 {report.materials_created} 项（待管理员核实），新建集成办理 {report.bundles_created} 个"
        )
