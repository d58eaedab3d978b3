"""Merging two dossiers of one project (档案合并).

One dossier is kept (the winner), the other (the loser) is frozen: status 已合并, ``merged_into`` the
winner, no further changes (every write of the dossier part refuses a merged project), hidden from
lists unless asked for, its page a pointer to the winner.

What moves to the winner: the matters (with their pauses and history), the consultations and the
feedback. What stays where it was written: the timeline entries and the issued letters, which are
append-only; the winner's page reads them through ``merged_into`` (``selectors.dossier_timeline`` and
``selectors.dossier_letters``), so nothing written is rewritten. A loser that had itself absorbed
others passes them on (their ``merged_into`` now names the final winner), so one level is all a
reader follows.

Decisions:
- the same catalogue matter still open (待申报 to 补正材料) on both dossiers: the merge is refused and
  names the matters; the specialist withdraws the duplicate first (one open row per matter and
  project is a database constraint, and choosing which acceptance date is right is theirs to make);
- two different project codes: refused (one of them is wrong; correct it first). A code only the loser
  has moves to the winner, likewise its look-up number, so the applicant's look-up keeps working;
- blank facts of the winner (credit code, site, areas, investment) are filled from the loser; the
  winner's own facts are kept; the more advanced stage and status win (咨询中 → 在办);
- the loser's specialist becomes the winner's, so whoever keeps the dossier can open the letters and
  timeline that stay on the loser.

Parts above (hand-offs, problems, visits) keep their rows; they may move them by connecting to the
``merged`` signal, sent inside the merge's transaction.
"""

from __future__ import annotations

import django.dispatch
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest

from projects import timeline
from projects.models import Consultation, Feedback, NotificationLetter, Project, ProjectMatter, TimelineEntry
from projects.services import project_snapshot
from projects.timeline import Kind
from qinqing import audit
from qinqing.models import AuditEntry, User
from qinqing.roles import Role, user_roles
from qinqing.stale import stale_error

# sent with sender=Project, winner=, loser=, actor= inside the merge's transaction
merged = django.dispatch.Signal()

OPEN_MATTER = ("待申报", "已受理", "审查中", "补正材料")
FILLED_FROM_LOSER = ("builder_credit_code", "site", "land_area", "floor_area", "total_investment")


def may_merge(user: User, *projects: Project) -> bool:
    """The reform office may merge any two dossiers; a specialist two that are both their own."""
    roles = user_roles(user)
    if Role.OFFICE in roles:
        return True
    return Role.SPECIALIST in roles and all(p.specialist_id == user.pk for p in projects)


def may_start_merge(user: User, project: Project) -> bool:
    """Whether the dossier page offers 合并档案 to ``user``."""
    return project.status != Project.Status.MERGED and may_merge(user, project)


def _lock_pair(winner_id: int, loser_id: int) -> tuple[Project, Project]:
    # both rows locked in id order, whichever is kept, so two merges of the same pair cannot deadlock
    rows = {
        p.pk: p
        for p in Project.objects.select_for_update(of=("self",))
        .filter(pk__in=[winner_id, loser_id])
        .order_by("pk")
        .select_related("specialist", "current_stage")
    }
    if len(rows) != 2:
        raise ValidationError("要合并的档案不存在。", code="missing")
    return rows[winner_id], rows[loser_id]


def open_on_both(winner: Project, loser: Project) -> list[str]:
    """The names of catalogue matters open (待申报 to 补正材料) on both dossiers: these block a merge."""
    on_winner = set(winner.matters.filter(status__in=OPEN_MATTER).values_list("matter_id", flat=True))
    return list(
        loser.matters.filter(status__in=OPEN_MATTER, matter_id__in=on_winner)
        .order_by("matter__stage__number", "matter_id")
        .values_list("matter__name", flat=True)
    )


def merge_problems(winner: Project, loser: Project) -> list[str]:
    """Why these two cannot be merged as they stand (empty: they can)."""
    problems = []
    if winner.pk == loser.pk:
        problems.append("不能把档案与它自己合并。")
    for project in (winner, loser):
        if project.status == Project.Status.MERGED:
            problems.append(f"《{project.name}》已合并到另一档案，不能再合并。")
    if winner.status in (Project.Status.COMPLETED, Project.Status.TERMINATED):
        problems.append(f"保留的档案《{winner.name}》已{winner.status}；请保留未办结的档案，或先恢复其状态。")
    if winner.code and loser.code and winner.code != loser.code:
        problems.append(f"两个档案的项目代码不同（{winner.code} 与 {loser.code}），其中一个有误；请先更正后再合并。")
    if not problems:
        both = open_on_both(winner, loser)
        if both:
            problems.append(
                "两个档案都有未办结的同一事项：" + "、".join(both) + "。请先在将被合并的档案中撤回重复的事项，再合并。"
            )
    return problems


def merge_counts(project: Project) -> dict[str, int]:
    """What a dossier holds, shown on the merge page and written to the timeline."""
    return {
        "事项": project.matters.count(),
        "咨询": project.consultations.count(),
        "告知单": NotificationLetter.objects.filter(project=project).count(),
        "反馈": project.feedback.count(),
        "档案记录": TimelineEntry.objects.filter(project=project).count(),
    }


def _describe(counts: dict[str, int]) -> str:
    return "、".join(f"{name} {n}" for name, n in counts.items() if n) or "无其他记录"


@transaction.atomic
def project_merge(
    *,
    actor: User,
    request: HttpRequest | None,
    winner_id: int,
    loser_id: int,
    winner_version: int,
    loser_version: int,
    reason: str,
) -> Project:
    """Merge dossier ``loser_id`` into ``winner_id``; returns the winner. Both rows are locked and both
    versions checked; a refusal changes nothing."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写合并原因。", code="reason_required")
    if winner_id == loser_id:
        raise ValidationError("不能把档案与它自己合并。", code="same")
    winner, loser = _lock_pair(winner_id, loser_id)
    if not may_merge(actor, winner, loser):
        raise PermissionDenied("只有同时负责两个档案的帮办专员或区工改办可以合并档案。")
    for project, version in ((winner, winner_version), (loser, loser_version)):
        if project.version != version:
            raise stale_error(project, version, lead=f"档案《{project.name}》已被他人修改，请刷新后再合并。")
    problems = merge_problems(winner, loser)
    if problems:
        raise ValidationError(problems, code="cannot_merge")

    counts = merge_counts(loser)
    winner_before, loser_before = project_snapshot(winner), project_snapshot(loser)
    moved_code = loser.code if loser.code and not winner.code else ""
    moved_lookup = loser.lookup_no if loser.lookup_no and not winner.lookup_no else ""

    # the loser first: a code or look-up number it gives up must be free before the winner takes it
    loser.status = Project.Status.MERGED
    loser.merged_into = winner
    if moved_code:
        loser.code = ""
    if moved_lookup:
        loser.lookup_no = ""
    old_specialist = loser.specialist
    loser.specialist = winner.specialist
    loser.version += 1
    loser._change_reason = f"并入《{winner.name}》：{reason}"
    loser._history_user = actor
    loser.save()

    filled = []
    if moved_code:
        winner.code = moved_code
        filled.append("项目代码")
    if moved_lookup:
        winner.lookup_no = moved_lookup
    for name in FILLED_FROM_LOSER:
        if getattr(winner, name) in ("", None) and getattr(loser, name) not in ("", None):
            setattr(winner, name, getattr(loser, name))
            filled.append(str(Project._meta.get_field(name).verbose_name))
    winner.is_key = winner.is_key or loser.is_key
    if winner.status == Project.Status.CONSULTING and loser_before["项目状态"] in (
        Project.Status.ACTIVE,
        Project.Status.ON_HOLD,
    ):
        winner.status = Project.Status.ACTIVE
    loser_stage = loser.current_stage
    if (
        loser_stage is not None
        and loser_stage.number != 5
        and (winner.current_stage is None or loser_stage.number > winner.current_stage.number)
    ):
        winner.current_stage = loser_stage
    winner.version += 1
    winner._change_reason = f"合并档案《{loser.name}》：{reason}"
    winner._history_user = actor
    winner.save()

    # what moves: rows that are not append-only, each saved so its history says why
    for pm in ProjectMatter.objects.filter(project=loser):
        pm.project = winner
        pm.version += 1
        pm._change_reason = f"随档案合并并入《{winner.name}》"
        pm.save()
    for consultation in Consultation.objects.filter(project=loser):
        consultation.project = winner
        consultation.version += 1
        consultation._change_reason = f"随档案合并并入《{winner.name}》"
        consultation.save()
    for feedback in Feedback.objects.filter(project=loser):
        feedback.project = winner
        feedback._change_reason = f"随档案合并并入《{winner.name}》"
        feedback.save()
    # dossiers merged into the loser earlier now point at the final winner
    for earlier in Project.objects.filter(merged_into=loser):
        earlier.merged_into = winner
        earlier._change_reason = f"所并入的档案《{loser.name}》又并入《{winner.name}》"
        earlier.save()

    detail = {
        "并入档案": loser.name,
        "并入档案编号": loser.pk,
        "原因": reason,
        "并入内容": _describe(counts),
    }
    if filled:
        detail["补充的项目信息"] = "、".join(filled)
    timeline.record(
        winner,
        Kind.PROJECT,
        actor,
        f"合并档案：《{loser.name}》并入本档案（{_describe(counts)}），原因：{reason}",
        detail=detail,
        obj=loser,
    )
    timeline.record(
        loser,
        Kind.PROJECT,
        actor,
        f"本档案已并入《{winner.name}》，原因：{reason}"
        + (
            f"；帮办专员由{old_specialist.name}改为{winner.specialist.name}"
            if old_specialist != winner.specialist
            else ""
        ),
        detail={"保留档案": winner.name, "保留档案编号": winner.pk, "原因": reason},
        obj=winner,
    )
    loser_after = project_snapshot(loser)
    changed = [key for key in loser_before if loser_before[key] != loser_after[key]]
    audit.record(
        action=AuditEntry.Action.UPDATE,
        actor=actor,
        request=request,
        obj=loser,
        before={key: loser_before[key] for key in changed},
        after={key: loser_after[key] for key in changed},
        detail=f"合并档案：本档案并入《{winner.name}》（编号 {winner.pk}），原因：{reason}",
    )
    audit.record(
        action=AuditEntry.Action.UPDATE,
        actor=actor,
        request=request,
        obj=winner,
        before=winner_before,
        after=project_snapshot(winner),
        detail=f"合并档案：并入《{loser.name}》（编号 {loser.pk}），原因：{reason}",
    )
    merged.send(sender=Project, winner=winner, loser=loser, actor=actor)
    return winner
