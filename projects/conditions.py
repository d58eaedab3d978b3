"""容缺受理 and 告知承诺 as tracked obligations, not labels.

A matter accepted 容缺 records which materials are missing and the working day by which they must
be supplied; the unit records each one supplied; until then 办结 is 容缺通过 at best, and a passed
deadline shows as 逾期未补 in the unit's, the specialist's and the office's to-do.

A matter accepted 告知承诺 records what the applicant committed to (and which materials the
commitment replaces) and the date by which the unit checks it. The check is 符合 or 不符合; 不符合
opens the revocation path: a deadline to put it right, then 整改到位 or 撤销 (the approval is revoked
and the matter becomes 已撤销).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from projects import timeline
from projects.exchange import events
from projects.exchange.codes import Blzt
from projects.models import Commitment, Material, MissingMaterial, ProjectMatter
from projects.timeline import Kind
from qinqing import audit
from qinqing.models import AuditEntry, User
from qinqing.services import lock_for_update
from qinqing.stale import stale_error
from qinqing.workdays import WorkCalendar

DEFAULT_SUPPLY_WORKDAYS = 10
MAX_SUPPLY_WORKDAYS = 60
# a commitment is checked within a year of acceptance
MAX_VERIFY_DAYS = 366


@dataclass(frozen=True)
class CommitmentTerms:
    content: str
    verify_by: date
    materials: list[Material] = field(default_factory=list)


def check_terms(
    *,
    pm: ProjectMatter,
    mode: str,
    on: date,
    missing: list[tuple[Material | None, str]] | None,
    supply_workdays: int | None,
    commitment: CommitmentTerms | None,
) -> None:
    """Refuse an acceptance whose 容缺 or 告知承诺 terms are missing or do not fit the matter."""
    if mode == ProjectMatter.Mode.DEFICIENCY:
        if not missing:
            raise ValidationError(
                "容缺受理须登记所缺的材料（勾选目录中的材料或填写材料名称）。", code="missing_required"
            )
        if not supply_workdays or not 1 <= supply_workdays <= MAX_SUPPLY_WORKDAYS:
            raise ValidationError(
                f"请填写补齐时限：1 至 {MAX_SUPPLY_WORKDAYS} 个工作日。", code="supply_workdays_required"
            )
        for material, name in missing:
            if material is not None and material.matter_id != pm.matter_id:
                raise ValidationError(f"“{name}”不是该事项的申请材料。", code="wrong_material")
            if not name.strip():
                raise ValidationError("容缺材料的名称不能为空。", code="missing_name")
    elif missing:
        raise ValidationError("只有容缺受理才登记容缺材料；请将办理方式选为“容缺受理”。", code="missing_not_deficiency")
    if mode == ProjectMatter.Mode.COMMITMENT:
        if commitment is None or not commitment.content.strip():
            raise ValidationError("告知承诺受理须填写申请人承诺的内容。", code="commitment_required")
        if commitment.verify_by < on:
            raise ValidationError("核查日期不能早于受理日期。", code="verify_before_accept")
        if commitment.verify_by > on + timedelta(days=MAX_VERIFY_DAYS):
            raise ValidationError("核查日期应在受理后一年之内。", code="verify_too_late")
        for material in commitment.materials:
            if material.matter_id != pm.matter_id:
                raise ValidationError(f"“{material.name}”不是该事项的申请材料。", code="wrong_material")
    elif commitment is not None:
        raise ValidationError(
            "只有告知承诺受理才登记承诺内容；请将办理方式选为“承诺办理”。", code="commitment_not_mode"
        )


def record_terms(
    *,
    pm: ProjectMatter,
    actor: User,
    on: date,
    occurred_at: datetime,
    missing: list[tuple[Material | None, str]] | None,
    supply_workdays: int | None,
    commitment: CommitmentTerms | None,
) -> None:
    """Store the terms checked by ``check_terms`` (inside the acceptance's transaction)."""
    if pm.mode == ProjectMatter.Mode.DEFICIENCY and missing and supply_workdays:
        deadline = WorkCalendar().add_workdays(on, supply_workdays)
        supply_by = deadline.date or on + timedelta(days=supply_workdays)
        rows = [
            MissingMaterial(
                project_matter=pm, material=material, name=name.strip(), supply_by=supply_by, recorded_by=actor
            )
            for material, name in missing
        ]
        for row in rows:
            row._change_reason = "容缺受理"
            row.save()
        timeline.record(
            pm.project,
            Kind.MATTER,
            actor,
            f"{pm.matter.name}：容缺受理，须于 {supply_by:%Y-%m-%d} 前补齐："
            + "、".join(row.name for row in rows)[:200],
            occurred_at=occurred_at,
            project_matter=pm,
        )
    if pm.mode == ProjectMatter.Mode.COMMITMENT and commitment is not None:
        row = Commitment(
            project_matter=pm, content=commitment.content.strip(), verify_by=commitment.verify_by, recorded_by=actor
        )
        row._change_reason = "告知承诺受理"
        row.save()
        row.materials.set(commitment.materials)
        timeline.record(
            pm.project,
            Kind.MATTER,
            actor,
            f"{pm.matter.name}：告知承诺受理，责任单位于 {commitment.verify_by:%Y-%m-%d} 前核查承诺",
            occurred_at=occurred_at,
            project_matter=pm,
            obj=row,
        )


def _check_date(on: date, *, after: date, what: str) -> None:
    if on > timezone.localdate():
        raise ValidationError("日期不能晚于今天。", code="future_date")
    if on < after:
        raise ValidationError(f"日期不能早于{what}（{after:%Y-%m-%d}）。", code="date_backwards")


@transaction.atomic
def missing_supply(
    *, actor: User, request: HttpRequest | None, item_id: int, version: int, on: date, note: str = ""
) -> MissingMaterial:
    """The applicant supplied a 容缺 material."""
    item = lock_for_update(MissingMaterial, item_id)
    if item.version != version:
        raise stale_error(item, version, lead="该容缺材料刚被他人更新，请刷新页面后再操作。")
    if item.supplied_on:
        raise ValidationError(f"“{item.name}”已于 {item.supplied_on:%Y-%m-%d} 登记补齐。", code="already_supplied")
    pm = ProjectMatter.objects.select_related("project", "matter").get(pk=item.project_matter_id)
    if pm.status == ProjectMatter.Status.WITHDRAWN or pm.status == ProjectMatter.Status.REFUSED:
        raise ValidationError(f"该事项已{pm.status}，无须再补齐材料。", code="matter_closed")
    _check_date(on, after=pm.accepted_on, what="受理日期")
    item.supplied_on = on
    item.supplied_note = note.strip()
    item.version += 1
    item._change_reason = "补齐容缺材料"
    item.save()
    late = on > item.supply_by
    summary = f"{pm.matter.name}：容缺材料“{item.name}”已补齐（{on:%Y-%m-%d}" + ("，超过期限" if late else "") + "）"
    if not pm.missing_materials.filter(supplied_on__isnull=True).exists():
        summary += "，容缺材料已全部补齐"
    timeline.record(pm.project, Kind.MATTER, actor, summary[:300], project_matter=pm, obj=item)
    audit.record(
        action=AuditEntry.Action.UPDATE,
        actor=actor,
        request=request,
        obj=item,
        before={"补齐日期": ""},
        after={"补齐日期": f"{on:%Y-%m-%d}", "补齐说明": item.supplied_note},
    )
    return item


@transaction.atomic
def commitment_check(
    *,
    actor: User,
    request: HttpRequest | None,
    commitment_id: int,
    version: int,
    on: date,
    passed: bool,
    note: str,
    rectify_by: date | None = None,
) -> Commitment:
    """The unit's check of a 告知承诺: 符合 closes it; 不符合 opens the revocation path with a deadline."""
    item = lock_for_update(Commitment, commitment_id)
    if item.version != version:
        raise stale_error(item, version, lead="该告知承诺刚被他人更新，请刷新页面后再操作。")
    if item.status != Commitment.Status.PENDING:
        raise ValidationError(f"该告知承诺已核查（{item.get_status_display()}）。", code="already_checked")
    pm = ProjectMatter.objects.select_related("project", "matter").get(pk=item.project_matter_id)
    _check_date(on, after=pm.accepted_on, what="受理日期")
    note = note.strip()
    if not passed:
        if not note:
            raise ValidationError("核查不符合须写明不符合的情况。", code="note_required")
        if rectify_by is None:
            raise ValidationError("核查不符合须确定整改期限。", code="rectify_by_required")
        if rectify_by < on:
            raise ValidationError("整改期限不能早于核查日期。", code="rectify_backwards")
    item.status = Commitment.Status.PASSED if passed else Commitment.Status.FAILED
    item.checked_on, item.check_note, item.checked_by = on, note, actor
    item.rectify_by = None if passed else rectify_by
    if passed:
        item.closed_on = on
    item.version += 1
    item._change_reason = f"核查：{item.get_status_display()}"
    item.save()
    summary = f"{pm.matter.name}：告知承诺核查{'符合' if passed else '不符合'}（{on:%Y-%m-%d}）"
    if not passed:
        summary += f"，{note[:80]}；责令于 {rectify_by:%Y-%m-%d} 前整改，逾期未整改的撤销审批"
    timeline.record(pm.project, Kind.MATTER, actor, summary[:300], project_matter=pm, obj=item)
    audit.record(
        action=AuditEntry.Action.UPDATE,
        actor=actor,
        request=request,
        obj=item,
        before={"核查状态": Commitment.Status.PENDING.label},
        after={"核查状态": item.get_status_display(), "核查情况": note},
    )
    return item


@transaction.atomic
def revocable(pm: ProjectMatter) -> bool:
    """Whether the matter holds a granted approval that a false 告知承诺 can have revoked."""
    return pm.status == ProjectMatter.Status.DONE and pm.result in (
        ProjectMatter.Result.PASSED,
        ProjectMatter.Result.PASSED_DEFICIENT,
    )


def commitment_close(
    *, actor: User, request: HttpRequest | None, commitment_id: int, version: int, on: date, revoke: bool, note: str
) -> Commitment:
    """The end of the revocation path: put right (整改到位) or the approval revoked (撤销)."""
    item = lock_for_update(Commitment, commitment_id)
    if item.version != version:
        raise stale_error(item, version, lead="该告知承诺刚被他人更新，请刷新页面后再操作。")
    if item.status != Commitment.Status.FAILED:
        raise ValidationError("只有核查不符合、正在整改的告知承诺才能登记整改结果或撤销。", code="not_failed")
    note = note.strip()
    if not note:
        raise ValidationError(
            "请写明整改情况或撤销决定（文号）。" if not revoke else "撤销审批须写明撤销决定（文号）和理由。",
            code="note_required",
        )
    _check_date(on, after=item.checked_on, what="核查日期")
    pm = lock_for_update(ProjectMatter, item.project_matter_id)
    pm = ProjectMatter.objects.select_related("project", "matter").get(pk=pm.pk)
    if revoke and not revocable(pm):
        # only a granted approval can be revoked: a matter still open is concluded 办结（不通过） on its
        # own page first (with its reason and date), so the matter never stays open, passable, after a
        # revocation, and a refusal is not turned into a revocation
        raise ValidationError(
            f"该事项现为“{pm.status_label}”，没有可撤销的审批：告知承诺不实的，请先在事项办理中将事项"
            "办结（不通过）并写明理由；撤销审批只用于已办结（通过）的事项。",
            code="nothing_to_revoke",
        )
    before = item.get_status_display()
    item.status = Commitment.Status.REVOKED if revoke else Commitment.Status.RECTIFIED
    item.closed_on, item.close_note = on, note
    item.version += 1
    item._change_reason = item.get_status_display()
    item.save()
    if revoke:
        pm.status = ProjectMatter.Status.REVOKED
        pm.last_changed_on = max(on, pm.last_changed_on or on)
        pm.last_reason = note[:300]
        pm.version += 1
        pm._change_reason = f"撤销审批：{note}"[:100]
        pm.save()
        events.record_status(pm, status=Blzt.REVOKED, on=on, occurred_at=timezone.now(), actor=actor, opinion=note)
    summary = f"{pm.matter.name}：告知承诺" + (
        f"不实，撤销审批（{on:%Y-%m-%d}）：" if revoke else f"整改到位（{on:%Y-%m-%d}）："
    )
    timeline.record(pm.project, Kind.MATTER, actor, (summary + note)[:300], project_matter=pm, obj=item)
    audit.record(
        action=AuditEntry.Action.UPDATE,
        actor=actor,
        request=request,
        obj=item,
        before={"核查状态": before},
        after={"核查状态": item.get_status_display(), "处理情况": note},
    )
    return item
