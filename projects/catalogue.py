"""Loading the matter catalogue from its CSV seed (``qinqing/data/matters.csv``). Idempotent:
what is already in the database is kept as administrators left it."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from projects.models import Matter, Stage
from qinqing.demo import MATTERS_CSV, unit_kind
from qinqing.models import Department

STAGE_NAMES = {
    1: "立项用地规划许可阶段",
    2: "工程建设许可阶段",
    3: "施工许可阶段",
    4: "竣工验收阶段",
    5: "市政公用服务（公共设施接入）",
    6: "不动产登记",
}


@dataclass
class LoadReport:
    stages_created: int = 0
    matters_created: int = 0
    matters_kept: int = 0


def _split_materials(text: str) -> list[str]:
    return [item.strip() for item in text.replace(";", "；").split("；") if item.strip()]


@transaction.atomic
def load_catalogue(path: Path = MATTERS_CSV) -> LoadReport:
    report = LoadReport()
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        number = int(row["stage_no"])
        stage, created = Stage.objects.get_or_create(
            number=number, defaults={"name": STAGE_NAMES.get(number, row["stage"].strip())}
        )
        report.stages_created += created
        unit_name = row["responsible_unit"].strip()
        unit, _ = Department.objects.get_or_create(name=unit_name, defaults={"kind": unit_kind(unit_name)})
        limit = int(row["time_limit_workdays"])
        text = row["materials_or_note"].strip()
        by_contract = limit == 0
        _, created = Matter.objects.get_or_create(
            stage=stage,
            name=row["matter"].strip(),
            defaults={
                "category": row["category"].strip(),
                "unit": unit,
                "time_limit_workdays": limit,
                "materials": [] if by_contract else _split_materials(text),
                "note": text if by_contract else "",
            },
        )
        if created:
            report.matters_created += 1
        else:
            report.matters_kept += 1
    return report
