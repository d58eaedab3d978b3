"""Writes of the dossier part."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from projects.models import Matter
from qinqing.models import Department, User
from qinqing.services import versioned_update


def matter_snapshot(matter: Matter) -> dict:
    return {
        "事项名称": matter.name,
        "事项类别": matter.category,
        "责任单位": matter.unit.name,
        "承诺时限": matter.time_limit_workdays,
        "法定时限": matter.statutory_limit_workdays,
        "申请材料": "；".join(matter.materials),
        "说明": matter.note,
        "告知承诺": matter.allows_commitment,
        "容缺受理": matter.allows_deficiency,
        "并联审批": matter.allows_parallel,
        "在用": matter.is_active,
    }


@transaction.atomic
def matter_update(
    *,
    actor: User,
    request: HttpRequest | None,
    matter_id: int,
    version: int,
    name: str,
    category: str,
    unit: Department,
    time_limit_workdays: int,
    statutory_limit_workdays: int | None,
    materials: list[str],
    note: str,
    allows_commitment: bool,
    allows_deficiency: bool,
    allows_parallel: bool,
    is_active: bool,
) -> Matter:
    """Correct a catalogue matter; refused if someone saved it since the form was opened."""
    matter = Matter.objects.only("stage_id").get(pk=matter_id)
    if Matter.objects.filter(stage_id=matter.stage_id, name=name).exclude(pk=matter_id).exists():
        raise ValidationError("本阶段已有同名事项。", code="duplicate_matter")
    changes = {
        "name": name,
        "category": category,
        "unit": unit,
        "time_limit_workdays": time_limit_workdays,
        "statutory_limit_workdays": statutory_limit_workdays,
        "materials": materials,
        "note": note,
        "allows_commitment": allows_commitment,
        "allows_deficiency": allows_deficiency,
        "allows_parallel": allows_parallel,
        "is_active": is_active,
    }
    return versioned_update(
        model=Matter,
        pk=matter_id,
        version=version,
        changes=changes,
        snapshot=matter_snapshot,
        actor=actor,
        request=request,
        reason="修改事项目录",
    )
