"""The issued notice's PDF is kept as issued and every download of it is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from followups import documents, services
from followups.models import Notice, NoticeFile
from qinqing.models import AuditEntry
from qinqing.roles import Role
from tests.auth import sign_in
from tests.factories import DepartmentFactory, UserFactory
from tests.pdf import assert_cjk_fonts_embedded, flat, pdf_text, require_cjk_font


@pytest.fixture
def hall(db):
    require_cjk_font()
    unit = DepartmentFactory(name="区住房城乡建委")
    office = UserFactory(roles=[Role.OFFICE])
    staff = UserFactory(roles=[Role.DEPARTMENT], department=unit)
    clients = {}
    for name, user in (("office", office), ("staff", staff)):
        clients[name] = Client()
        sign_in(clients[name], user)
    return {"unit": unit, "office": office, "staff": staff, "clients": clients}


def _issued(office, unit, django_capture_on_commit_callbacks, *, execute=True) -> Notice:
    today = timezone.localdate()
    notice = services.notice_draft(actor=office, request=None, unit=unit, title="关于审批超时的通报",
                                   facts="经查，施工图审查备案超过承诺时限。", requirement="请限期整改。",
                                   period_start=today - timedelta(days=30), period_end=today, source="其他")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=execute):
        return services.notice_issue(actor=office, request=None, notice_id=notice.pk, version=notice.version)


def _exports(notice) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            action=AuditEntry.Action.EXPORT, object_type="followups.notice", object_id=str(notice.pk)
        ).order_by("id")  # fmt: skip
    )


def test_the_pdf_is_kept_at_issue_and_served_as_issued(hall, django_capture_on_commit_callbacks):
    """GIVEN a notice issued WHEN the unit is renamed afterwards THEN the PDF still reads as it was issued,
    byte for byte the kept file, with its CJK font embedded."""
    notice = _issued(hall["office"], hall["unit"], django_capture_on_commit_callbacks)
    kept = NoticeFile.objects.get(notice=notice)
    assert kept.filename == f"通报-江北工改通{notice.year}-{notice.serial}号.pdf"
    with default_storage.open(kept.file.name, "rb") as handle:
        stored = handle.read()
    assert documents.digest(stored) == kept.sha256

    hall["unit"].name = "区住房和城乡建设委员会"  # the unit is renamed after the notice was issued
    hall["unit"].save()
    for client in hall["clients"].values():
        response = client.get(reverse("followups:notice_pdf", args=[notice.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content == stored
    text = flat(pdf_text(response.content))
    assert "现将区住房城乡建委" in text
    assert "各成员单位：" in text
    # the member units it went to, as they were named when it was issued
    assert "区住房城乡建委" in text.split("主送成员单位名单")[-1]
    assert "区住房和城乡建设委员会" not in text
    assert flat(notice.number) in text
    assert_cjk_fonts_embedded(response.content)
    assert NoticeFile.objects.filter(notice=notice).count() == 1


def test_every_download_is_audited(hall, django_capture_on_commit_callbacks):
    notice = _issued(hall["office"], hall["unit"], django_capture_on_commit_callbacks)
    url = reverse("followups:notice_pdf", args=[notice.pk])
    assert hall["clients"]["office"].get(url).status_code == 200
    assert hall["clients"]["staff"].get(url).status_code == 200
    assert hall["clients"]["staff"].get(url).status_code == 200
    rows = _exports(notice)
    assert [row.actor for row in rows] == [hall["office"], hall["staff"], hall["staff"]]
    assert {row.result for row in rows} == {AuditEntry.Result.SUCCESS}
    assert all(NoticeFile.objects.get(notice=notice).filename in row.detail for row in rows)
    assert all(row.path == url for row in rows)


def test_a_pdf_not_kept_at_issue_is_kept_at_its_first_download(hall, django_capture_on_commit_callbacks):
    """GIVEN a notice whose PDF was not kept when it was issued (rendering failed, or issued before)
    WHEN it is first downloaded THEN that PDF is kept, and later downloads serve the same bytes."""
    notice = _issued(hall["office"], hall["unit"], django_capture_on_commit_callbacks, execute=False)
    assert not NoticeFile.objects.filter(notice=notice).exists()
    url = reverse("followups:notice_pdf", args=[notice.pk])
    first = hall["clients"]["staff"].get(url).content
    kept = NoticeFile.objects.get(notice=notice)
    assert documents.digest(first) == kept.sha256
    assert hall["clients"]["office"].get(url).content == first
    assert NoticeFile.objects.filter(notice=notice).count() == 1


def test_a_kept_file_altered_or_gone_is_refused_and_the_refusal_audited(hall, django_capture_on_commit_callbacks):
    notice = _issued(hall["office"], hall["unit"], django_capture_on_commit_callbacks)
    kept = NoticeFile.objects.get(notice=notice)
    url = reverse("followups:notice_pdf", args=[notice.pk])
    path = default_storage.path(kept.file.name)
    with open(path, "ab") as handle:
        handle.write(b"tampered")
    response = hall["clients"]["office"].get(url)
    assert response.status_code == 410
    assert "校验不符" in response.content.decode()
    default_storage.delete(kept.file.name)
    assert hall["clients"]["office"].get(url).status_code == 410
    # not silently drawn again: the kept row is the only one, and both refusals are on record
    assert NoticeFile.objects.filter(notice=notice).count() == 1
    rows = _exports(notice)
    assert [row.result for row in rows] == [AuditEntry.Result.FAILURE] * 2
    assert ["校验不符" in rows[0].detail, "缺失" in rows[1].detail] == [True, True]


def test_a_kept_file_is_never_changed_nor_deleted(hall, django_capture_on_commit_callbacks):
    notice = _issued(hall["office"], hall["unit"], django_capture_on_commit_callbacks)
    kept = NoticeFile.objects.get(notice=notice)
    kept.sha256 = "0" * 64
    with pytest.raises(PermissionError):
        kept.save()
    with pytest.raises(PermissionError):
        NoticeFile.objects.filter(pk=kept.pk).delete()


def test_a_draft_has_no_file_to_keep(hall):
    today = timezone.localdate()
    draft = services.notice_draft(actor=hall["office"], request=None, unit=hall["unit"], title="草稿", facts="事实",
                                  period_start=today, period_end=today, source="其他")  # fmt: skip
    with pytest.raises(ValueError, match="已印发"):
        documents.keep(draft.pk)
    assert not NoticeFile.objects.exists()
