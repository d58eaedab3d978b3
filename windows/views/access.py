"""Access helpers of the windows part: 404 for an object the user may not see, 403 for one they may
see but not act on."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from windows.models import Decision, Handoff, Meeting, Problem, Report


def _check(request, obj, view_perm: str, change_perm: str | None, message: str):
    if not request.user.has_perm(view_perm, obj) and not (change_perm and request.user.has_perm(change_perm, obj)):
        raise Http404
    if change_perm and not request.user.has_perm(change_perm, obj):
        raise PermissionDenied(message)
    return obj


def get_handoff(request, pk: int, *, perm: str | None = None) -> Handoff:
    handoff = get_object_or_404(
        Handoff.objects.select_related("project", "project__specialist", "stage", "handed_by", "accepted_by"), pk=pk
    )
    return _check(request, handoff, "windows.view_handoff", perm, "只有该阶段综合窗口的人员可以办理此移交。")


def get_report(request, pk: int) -> Report:
    report = get_object_or_404(Report.objects.select_related("project", "created_by", "handoff"), pk=pk)
    return _check(request, report, "windows.handle_report", None, "")


def get_problem(request, pk: int, *, change: bool = False) -> Problem:
    problem = get_object_or_404(
        Problem.objects.select_related("project", "project__specialist", "stage", "owner_unit", "raised_by"), pk=pk
    )
    return _check(
        request,
        problem,
        "windows.view_problem",
        "windows.change_problem" if change else None,
        "只有该阶段综合窗口、责任单位或区工改办可以协调此问题。",
    )


def get_meeting(request, pk: int, *, perm: str | None = None) -> Meeting:
    meeting = get_object_or_404(
        Meeting.objects.select_related("convened_by", "stage", "created_by", "issued_by"), pk=pk
    )
    return _check(
        request, meeting, "windows.view_meeting", perm, "只有会议所属阶段的综合窗口或区工改办可以登记和签发纪要。"
    )


def get_decision(request, pk: int) -> Decision:
    decision = get_object_or_404(Decision.objects.select_related("meeting", "unit", "project"), pk=pk)
    if not request.user.has_perm("windows.view_meeting", decision.meeting) and not request.user.has_perm(
        "windows.change_decision", decision
    ):
        raise Http404
    if not request.user.has_perm("windows.change_decision", decision):
        raise PermissionDenied("只有责任单位、该阶段综合窗口或区工改办可以更新落实情况。")
    return decision
