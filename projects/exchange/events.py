"""Writing a project matter's SPGL status history (``MatterEvent``): one call per move, from the services."""

from __future__ import annotations

from datetime import date, datetime

from projects.exchange.codes import DISTRICT_CODE, Blzt, events_for_move
from projects.models import MatterEvent, ProjectMatter


def local_case_no(pm: ProjectMatter, on: date) -> str:
    """The 办件编号 (SPSXSLBM) given at acceptance here: district, acceptance date, the matter's number."""
    return f"{DISTRICT_CODE}-{on:%Y%m%d}-{pm.pk:07d}"


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
    rows = []
    for code in events_for_move(before, pm.status, pm.result):
        from_city = city is not None and city[0] == code
        rows.append(
            MatterEvent(
                project_matter=pm,
                status=code,
                on=on,
                occurred_at=occurred_at,
                actor=actor,
                handler_name=getattr(actor, "name", "")[:50],
                opinion=opinion[:300],
                source=MatterEvent.Source.CITY if from_city else MatterEvent.Source.LOCAL,
                city_key=city[1] if from_city else "",
            )
        )
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
    """One BLZT row that is not a status change here (特别程序, a revocation, a city's 接件), the city's when
    ``city`` = (BLZT, DFSJZJ) names it."""
    from_city = city is not None and city[0] == status
    return MatterEvent.objects.create(
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
