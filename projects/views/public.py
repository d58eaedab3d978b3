"""The applicant's progress look-up: no login; the project code, or the look-up number (查询号) printed on the
一次性告知单 of a project without a code, plus the last four digits of the contact phone.

It shows the project's name, stage and status; each matter's status, acceptance date, due date (暂按 when the
year's holidays are not yet published) or 暂停计时 with what is still missing; and the specialist's name and
office phone. Never the applicant's own phone, nor staff notes.

Every try is in the audit log, which is also the rate limit (shared by every application server, no cache):
too many failures from one address, or too many against one code from one address, in the window and that
address is refused for a while. Failures are never counted per code alone: one person's wrong tries must not
lock the real applicant, at another address, out of their own look-up. A right pair is never a failure, and a
wrong pair never says which half was wrong."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db.models import Prefetch, Q
from django.shortcuts import render
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from projects.forms import ProgressLookupForm
from projects.models import MatterPause, Project, ProjectMatter
from qinqing import audit
from qinqing.masking import phone_last4
from qinqing.models import AuditEntry
from qinqing.validators import normalize_code

NOT_FOUND = "未找到与该项目代码（查询号）和电话后四位相符的项目，请核对后重试；如有疑问请致电亲清帮办服务窗口。"
# a merged dossier points at the one it went into; the look-up follows at most this many hops (bad data must
# not make it loop)
MERGE_HOPS = 5


def _detail(code: str) -> str:
    return f"查询码 {code}"


def too_many_failures(ip: str | None, code: str) -> bool:
    """Whether this address is refused: too many failures from it in the window, or too many against this
    code from it. Failures against the code from other addresses do not count."""
    since = timezone.now() - timedelta(minutes=settings.PROGRESS_LOOKUP_WINDOW_MINUTES)
    failures = AuditEntry.objects.filter(
        action=AuditEntry.Action.PROGRESS_LOOKUP,
        result=AuditEntry.Result.FAILURE,
        created_at__gte=since,
        ip=ip,
    )
    if failures.count() >= settings.PROGRESS_LOOKUP_FAILURES:
        return True
    return failures.filter(detail=_detail(code)).count() >= settings.PROGRESS_LOOKUP_CODE_FAILURES


def find_project(code: str) -> Project | None:
    """The project whose code or look-up number is ``code`` (already normalised), a code first."""
    if not code:
        return None
    candidates = Project.objects.filter(Q(code=code) | Q(lookup_no=code))
    return min(candidates, key=lambda p: p.code != code, default=None)


@dataclass(frozen=True)
class MatterRow:
    stage: str
    name: str
    unit: str
    status: str
    accepted_on: date | None
    due_text: str  # 2026年3月5日, 暂停计时（补正材料：…）, 按合同, 已办结 … or ""
    provisional: bool


def _day(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _due_text(pm: ProjectMatter) -> str:
    if pm.status == ProjectMatter.Status.SUPPLEMENT:
        pause = pm.open_pauses[-1] if pm.open_pauses else None
        missing = (pause.reason if pause else pm.last_reason).strip()
        if not pm.clock_stopped:  # notified after the due date: the clock keeps running
            return f"{_day(pm.due_on)}（另须补正材料：{missing or '见补正通知'}）"
        return f"暂停计时（补正材料：{missing}）" if missing else "暂停计时（补正材料）"
    if pm.status in ProjectMatter.FINAL_STATUSES:
        return f"{pm.status_label} {_day(pm.finished_on)}" if pm.finished_on else pm.status_label
    if pm.due_on:
        return _day(pm.due_on)
    if pm.accepted_on and not pm.time_limit_workdays:
        return "按合同约定"
    return ""


def progress_of(project: Project) -> dict:
    """What the applicant sees for a project (the one a merged dossier went into, if merged)."""
    for _ in range(MERGE_HOPS):
        if project.merged_into_id is None:
            break
        project = project.merged_into
    project = Project.objects.select_related("current_stage", "specialist").get(pk=project.pk)
    matters = (
        project.matters.exclude(status=ProjectMatter.Status.WITHDRAWN)
        .select_related("matter", "matter__stage", "unit")
        .prefetch_related(
            Prefetch(
                "pauses",
                queryset=MatterPause.objects.filter(resumed_on__isnull=True).order_by("paused_on", "id"),
                to_attr="open_pauses",
            )
        )
        .order_by("matter__stage__number", "matter_id", "id")
    )
    rows = [
        MatterRow(
            stage=str(pm.matter.stage.number),
            name=pm.matter.name,
            unit=pm.unit.name,
            status=pm.status_label,
            accepted_on=pm.accepted_on,
            due_text=_due_text(pm),
            provisional=bool(
                pm.due_provisional and pm.status in (ProjectMatter.Status.ACCEPTED, ProjectMatter.Status.REVIEWING)
            ),
        )
        for pm in matters
    ]
    specialist = project.specialist
    return {
        "name": project.name,
        "code": project.lookup_code,
        "stage": project.current_stage.name if project.current_stage_id else "",
        "status": project.status,
        "matters": rows,
        "specialist_name": specialist.name,
        "specialist_phone": specialist.phone or settings.HALL_PHONE,
    }


def _hall() -> dict:
    return {
        "HALL_PHONE": settings.HALL_PHONE,
        "HALL_ADDRESS": settings.HALL_ADDRESS,
        "HALL_HOURS": settings.HALL_HOURS,
    }


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def progress_lookup(request):
    if request.method == "POST":
        form = ProgressLookupForm(request.POST)
    else:
        # the QR code on the letter opens the page with the code filled in; the phone digits never travel in a URL
        form = ProgressLookupForm(initial={"code": normalize_code(request.GET.get("code", ""))[:30]})
    result = None
    error = ""
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        ip = audit.client_ip(request)
        if too_many_failures(ip, code):
            error = f"查询次数过多，请 {settings.PROGRESS_LOOKUP_WINDOW_MINUTES} 分钟后再试，或致电亲清帮办服务窗口。"
            audit.record(
                action=AuditEntry.Action.PROGRESS_LOOKUP,
                request=request,
                result=AuditEntry.Result.DENIED,
                detail=_detail(code),
                username="（申请人）",
            )
        else:
            project = find_project(code)
            given = form.cleaned_data["phone_last4"]
            expected = phone_last4(project.contact_phone) if project is not None else "----"
            matched = project is not None and constant_time_compare(expected, given)
            audit.record(
                action=AuditEntry.Action.PROGRESS_LOOKUP,
                request=request,
                obj=project if matched else None,
                result=AuditEntry.Result.SUCCESS if matched else AuditEntry.Result.FAILURE,
                detail=_detail(code),
                username="（申请人）",
            )
            if matched:
                result = progress_of(project)
            else:
                error = NOT_FOUND
    context = {"form": form, "result": result, "error": error, **_hall()}
    return render(request, "projects/progress_lookup.html", context)
