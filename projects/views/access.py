"""Access helpers: fetch an object with what its page needs, or refuse.

404 for someone who may not see the object (its existence is not revealed), 403 for someone who may
see it but not change it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from projects.models import NotificationLetter, Project, ProjectMatter
from projects.selectors import sees_whole_dossier


def get_project(request, pk: int, *, change: bool = False) -> Project:
    project = get_object_or_404(Project.objects.select_related("specialist", "current_stage", "created_by"), pk=pk)
    if not request.user.has_perm("projects.view_project", project):
        raise Http404
    if change and not request.user.has_perm("projects.change_project", project):
        raise PermissionDenied("只有该项目的帮办专员可以修改项目档案。")
    return project


def get_project_matter(request, pk: int, *, change: bool = False) -> ProjectMatter:
    pm = get_object_or_404(
        ProjectMatter.objects.select_related("project", "project__specialist", "matter", "matter__stage", "unit"),
        pk=pk,
    )
    if not request.user.has_perm("projects.view_projectmatter", pm):
        raise Http404
    if change and not request.user.has_perm("projects.change_projectmatter", pm):
        raise PermissionDenied("只有该项目的帮办专员或该事项的责任单位可以办理此事项。")
    return pm


def get_letter(request, pk: int) -> NotificationLetter:
    letter = get_object_or_404(NotificationLetter.objects.select_related("project", "issued_by"), pk=pk)
    project = get_project(request, letter.project_id)
    if not sees_whole_dossier(request.user, project):
        raise Http404
    return letter
