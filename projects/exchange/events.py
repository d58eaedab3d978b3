"""Writing a project matter's SPGL status history (``MatterEvent``): one call per move, from the services."""

from __future__ import annotations

from datetime import date, datetime

from projects.exchange.codes import DISTRICT_CODE, Blzt, events_for_move
from projects.models import MatterEvent, ProjectMatter


def local_case_no(pm: ProjectMatter, on: date) -> str:
    """The 办件编号 (SPSXSLBM) given at acceptance here: district, acceptance date, the matter's number."""
    return f"{DISTRICT_CODE}-{on:%Y%m%d}-{pm.pk:07d}"


def _event(pm: ProjectMatter, status: int, on: date, occurred_at: datetime, actor, opinion: str, city) -> MatterEvent:
    """One BLZT row, unsaved; the city's (under its DFSJZJ) when ``city`` = (BLZT, DFSJZJ) names this status."""
    from_city = city is not None and city[0] == status
    return MatterEvent(
        project_matter=pm,
        status=status,
        on=on,
        occurred_at=occurred_at,
        actor=actor,
        handler_name=getattr(actor, "name", "")[:50],
        opinion=opinion[:300],
        source=MatterEvent.Source.CITY if from_city else MatterEvent.Source.LOCAL,
        city_key=city[1] if from_city else "",
    )


def record_move(
    pm: ProjectMatter,
    *,
    before: str,
    on: date,
    occurred_at: datetime,
    actor,
    opinion: str = "",
    city: tuple[int, str] | None = None,
) -> list[MatterEvent]:
    """The BLZT rows of the move just made. ``city`` = (BLZT, DFSJZJ) when the move applies a row of the
    city's: that status is recorded as the city's, under its key, and is not sent back."""
    rows = [
        _event(pm, code, on, occurred_at, actor, opinion, city)
        for code in events_for_move(before, pm.status, pm.result)
    ]
    return MatterEvent.objects.bulk_create(rows)


def record_status(
    pm: ProjectMatter,
    *,
    status: Blzt,
    on: date,
    occurred_at: datetime,
    actor,
    opinion: str = "",
    city: tuple[int, str] | None = None,
) -> MatterEvent:
    """One BLZT row that is not a status change here (特别程序, a revocation, a city's 接件)."""
    event = _event(pm, status, on, occurred_at, actor, opinion, city)
    event.save()
    return event
