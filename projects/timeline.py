"""The dossier timeline: the one function every part calls to add an event to a project's story."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from projects.models import Project, ProjectMatter, TimelineEntry

Kind = TimelineEntry.Kind


def record(
    project: Project,
    kind: str,
    actor,
    summary: str,
    *,
    occurred_at: datetime | None = None,
    project_matter: ProjectMatter | None = None,
    stage=None,
    unit=None,
    detail: dict[str, Any] | None = None,
    obj: Any = None,
) -> TimelineEntry:
    """Append one event to ``project``'s dossier, in the caller's transaction.

    ``summary`` is the line people read; ``detail`` holds the facts (dates, reasons, old and new
    values) as text; ``obj`` is the record the event came from (a letter, a hand-off, a visit).
    ``stage`` and ``unit`` say whom an entry without a matter concerns, so that window staff and
    unit staff, who see only their part of a dossier, see it."""
    entry = TimelineEntry(
        project=project,
        project_matter=project_matter,
        stage=stage,
        unit=unit,
        kind=kind,
        occurred_at=occurred_at or timezone.now(),
        actor=actor,
        summary=summary[:300],
        detail=detail or {},
    )
    if obj is not None:
        entry.object_type = obj._meta.label_lower
        entry.object_id = str(obj.pk)
    entry.save()
    return entry
