"""Object permissions of the dossier part, checked on the server for every object.

- the reform office reads every dossier and changes none;
- window staff see the projects with a matter in (or standing at) the stages whose window they staff,
  only those stages' matters, and may record a move on a unit's behalf (the unit told them);
- a specialist sees and edits the projects they are responsible for;
- department staff see the projects that have a matter of their unit, only those matters, and
  move only those matters;
- the administrator sees no case content.
"""

from __future__ import annotations

import rules

from qinqing.roles import Role, user_roles


def _roles(user) -> frozenset[str]:
    return user_roles(user)


@rules.predicate
def reads_all_projects(user) -> bool:
    return Role.OFFICE in _roles(user)


def _stages(user) -> list[int]:
    from projects.selectors import window_stage_ids

    return window_stage_ids(user)


@rules.predicate
def window_of_project(user, project) -> bool:
    stages = _stages(user)
    if not stages or project is None:
        return False
    return project.current_stage_id in stages or project.matters.filter(matter__stage_id__in=stages).exists()


@rules.predicate
def window_of_matter(user, project_matter) -> bool:
    return project_matter.matter.stage_id in _stages(user)


@rules.predicate
def is_project_specialist(user, project) -> bool:
    return Role.SPECIALIST in _roles(user) and project is not None and project.specialist_id == user.pk


@rules.predicate
def unit_has_matter_on(user, project) -> bool:
    if Role.DEPARTMENT not in _roles(user) or not user.department_id or project is None:
        return False
    return project.matters.filter(unit_id=user.department_id).exists()


@rules.predicate
def is_matter_specialist(user, project_matter) -> bool:
    return is_project_specialist(user, project_matter.project)


@rules.predicate
def is_matter_unit(user, project_matter) -> bool:
    return (
        Role.DEPARTMENT in _roles(user)
        and user.department_id is not None
        and project_matter.unit_id == user.department_id
    )


@rules.predicate
def is_specialist(user) -> bool:
    return Role.SPECIALIST in _roles(user)


rules.add_perm(
    "projects.view_project", reads_all_projects | is_project_specialist | unit_has_matter_on | window_of_project
)
rules.add_perm("projects.change_project", is_project_specialist)
rules.add_perm("projects.add_project", is_specialist)
rules.add_perm(
    "projects.view_projectmatter", reads_all_projects | is_matter_specialist | is_matter_unit | window_of_matter
)
rules.add_perm("projects.change_projectmatter", is_matter_specialist | is_matter_unit | window_of_matter)
rules.add_perm("projects.add_consultation", is_specialist)


@rules.predicate
def is_office(user) -> bool:
    return Role.OFFICE in _roles(user)


# the full phone number: the project's specialist (who calls the applicant) and the reform office (return visits)
rules.add_perm("projects.reveal_contact", is_project_specialist | is_office)
