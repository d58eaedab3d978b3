"""A joint meeting convened, held and its minutes issued, in one call: what most windows tests need
before they follow its decisions."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from windows import services
from windows.models import Meeting


def hold_meeting(
    *,
    actor,
    request=None,
    convened_by,
    stage,
    held_on: date | None = None,
    topic: str,
    units,
    projects,
    problems=(),
    minutes: str = "会议研究决定如下。",
    decisions=(),
    issue: bool = True,
) -> Meeting:
    """Convene (held today unless told), record the minutes with every unit present, and issue them."""
    meeting = services.meeting_convene(
        actor=actor,
        request=request,
        convened_by=convened_by,
        stage=stage,
        held_on=held_on or timezone.localdate(),
        place="区政务服务中心三楼会议室",
        chair="王主任",
        topic=topic,
        agenda="",
        units=list(units),
        projects=list(projects),
        problems=list(problems),
    )
    meeting = services.minutes_record(
        actor=actor,
        request=request,
        meeting_id=meeting.pk,
        version=meeting.version,
        chair="王主任",
        recorder="李记录",
        minutes=minutes,
        attendance=[{"unit": unit, "present": True, "attendee": "张科长"} for unit in units],
        decisions=list(decisions),
    )
    if issue:
        meeting = services.minutes_issue(actor=actor, request=request, meeting_id=meeting.pk, version=meeting.version)
    return meeting
