"""The issued minutes of a joint meeting as a kept document.

Issued minutes never change, and neither does their PDF. It is rendered right after the issuing
transaction commits (so the year's minutes number is not held locked while WeasyPrint works), stored
through ``qinqing.files`` (random name, SHA-256, nothing half-kept), and every download serves those very
bytes. Minutes whose PDF could not be rendered at issue (no CJK font at that moment, say) are rendered
and kept at their first download. A kept file that is missing or altered is refused, never silently
rendered again. The ledger's export archive keeps exports the same way; the ledger is the top floor and
nothing imports it, so the issued minutes are kept here, as the notices are in ``followups.documents``."""

from __future__ import annotations

from django.db import transaction

from qinqing import files
from qinqing.pdf import render_pdf
from windows.models import Meeting, MinutesFile

TEMPLATE = "windows/meeting_print.html"
KeptFileError = files.StoredFileError


def context_of(meeting: Meeting) -> dict:
    """The minutes as a document: the page and the PDF show the same."""
    return {
        "meeting": meeting,
        "attendance": list(meeting.attendance.select_related("unit")),
        "decisions": list(meeting.decisions.select_related("unit", "project")),
        "units": list(meeting.units.all()),
        "projects": list(meeting.projects.all()),
        "problems": list(meeting.problems.select_related("project", "owner_unit")),
        "as_issued": True,
    }


def filename_of(meeting: Meeting) -> str:
    return f"联席会议纪要-{meeting.year}-{meeting.serial}.pdf"


def keep(meeting_id: int) -> MinutesFile:
    """The kept PDF of issued minutes (``files.keep_document``), under the meeting's row lock."""
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
        if meeting.status != Meeting.Status.ISSUED:
            raise ValueError("只有已签发的会议纪要才有正式文件。")
        return files.keep_document(
            MinutesFile,
            "meeting",
            meeting,
            name=f"minutes/{meeting.year}/{meeting.year}-{meeting.serial}",
            filename=filename_of(meeting),
            render=lambda: render_pdf(TEMPLATE, context_of(meeting)),
        )


def keep_after_issue(meeting_id: int) -> None:
    files.keep_after_commit(keep, meeting_id, "the minutes PDF of meeting")


def read(document: MinutesFile) -> bytes:
    """The kept bytes; ``KeptFileError`` if the file is gone or altered."""
    return files.read_checked(document.file.name, document.sha256)
