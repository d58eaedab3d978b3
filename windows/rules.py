"""Object permissions of the windows part.

Window staff act only on the stages whose window they staff; department staff only on what their
unit owns; the reform office on everything; a specialist on their own projects."""

from __future__ import annotations

import rules

from projects.selectors import window_stage_ids
from qinqing.roles import Role, user_roles


def _roles(user) -> frozenset[str]:
    return user_roles(user)


@rules.predicate
def is_office(user) -> bool:
    return Role.OFFICE in _roles(user)


@rules.predicate
def staffs_handoff_window(user, handoff) -> bool:
    return handoff.stage_id in window_stage_ids(user)


@rules.predicate
def owns_handoff_project(user, handoff) -> bool:
    return Role.SPECIALIST in _roles(user) and handoff.project.specialist_id == user.pk


@rules.predicate
def owns_report_project(user, report) -> bool:
    return Role.SPECIALIST in _roles(user) and report.project.specialist_id == user.pk


@rules.predicate
def staffs_problem_window(user, problem) -> bool:
    return problem.stage_id in window_stage_ids(user)


@rules.predicate
def owns_problem(user, problem) -> bool:
    return Role.DEPARTMENT in _roles(user) and user.department_id == problem.owner_unit_id


@rules.predicate
def raised_problem(user, problem) -> bool:
    return problem.raised_by_id == user.pk


@rules.predicate
def problem_on_own_project(user, problem) -> bool:
    return Role.SPECIALIST in _roles(user) and problem.project.specialist_id == user.pk


@rules.predicate
def may_convene(user) -> bool:
    return Role.OFFICE in _roles(user) or bool(window_stage_ids(user))


@rules.predicate
def staffs_meeting_window(user, meeting) -> bool:
    return meeting.stage_id is not None and meeting.stage_id in window_stage_ids(user)


@rules.predicate
def attends_meeting(user, meeting) -> bool:
    unit_staff = Role.DEPARTMENT in _roles(user) and user.department_id is not None
    if unit_staff and (
        meeting.units.filter(pk=user.department_id).exists()
        or meeting.decisions.filter(unit_id=user.department_id).exists()
    ):
        return True
    return Role.SPECIALIST in _roles(user) and meeting.projects.filter(specialist=user).exists()


@rules.predicate
def staffs_decision_window(user, decision) -> bool:
    return decision.meeting.stage_id is not None and decision.meeting.stage_id in window_stage_ids(user)


@rules.predicate
def owns_decision(user, decision) -> bool:
    return Role.DEPARTMENT in _roles(user) and user.department_id == decision.unit_id


rules.add_perm("windows.accept_handoff", staffs_handoff_window)
rules.add_perm("windows.report_handoff", staffs_handoff_window)
rules.add_perm("windows.return_handoff", staffs_handoff_window)
rules.add_perm("windows.cancel_handoff", owns_handoff_project)
rules.add_perm("windows.view_handoff", is_office | staffs_handoff_window | owns_handoff_project)
rules.add_perm("windows.handle_report", owns_report_project)
rules.add_perm(
    "windows.view_problem",
    is_office | staffs_problem_window | owns_problem | problem_on_own_project | raised_problem,
)
rules.add_perm("windows.change_problem", is_office | staffs_problem_window | owns_problem)
rules.add_perm("windows.add_meeting", may_convene)
rules.add_perm("windows.view_meeting", is_office | staffs_meeting_window | attends_meeting)
# the minutes: recorded and issued by the window of the meeting's stage, or the reform office
rules.add_perm("windows.record_minutes", is_office | staffs_meeting_window)
rules.add_perm("windows.change_decision", is_office | staffs_decision_window | owns_decision)
