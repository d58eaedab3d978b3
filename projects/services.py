"""Writes of the dossier part."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from projects.models import Matter
from qinqing import audit
from qinqing.models import AuditEntry, Department, User
from qinqing.services import STALE_MESSAGE


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
    matter = Matter.objects.select_for_update().select_related("unit").get(pk=matter_id)
    if matter.version != version:
        raise ValidationError(STALE_MESSAGE, code="stale")
    if Matter.objects.filter(stage_id=matter.stage_id, name=name).exclude(pk=matter.pk).exists():
        raise ValidationError("本阶段已有同名事项。", code="duplicate_matter")
    before = matter_snapshot(matter)
    matter.name = name
    matter.category = category
    matter.unit = unit
    matter.time_limit_workdays = time_limit_workdays
    matter.statutory_limit_workdays = statutory_limit_workdays
    matter.materials = materials
    matter.note = note
    matter.allows_commitment = allows_commitment
    matter.allows_deficiency = allows_deficiency
    matter.allows_parallel = allows_parallel
    matter.is_active = is_active
    matter.version += 1
    matter._change_reason = "修改事项目录"
    matter.save()
    audit.record_changes(
        action=AuditEntry.Action.UPDATE,
        actor=actor,
        request=request,
        obj=matter,
        before=before,
        after=matter_snapshot(matter),
    )
    return matter
