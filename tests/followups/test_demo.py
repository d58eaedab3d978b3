"""The demo data shows the office every state a rectification goes through."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from followups.models import Draw, Escalation, Inspection, Notice, Rectification, Visit
from qinqing.demo import DEMO_PASSWORD
from qinqing.models import User
from tests.auth import totp_code


def test_seed_demo_gives_rectifications_closed_sent_back_overdue_and_waiting(db):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    today = timezone.localdate()
    closed = Rectification.objects.get(status=Rectification.Status.CLOSED)
    assert closed.visit is not None
    assert closed.visit.is_bad
    assert (bool(closed.callback), bool(closed.closing_check)) == (True, True)
    assert closed.callback_on is not None
    assert closed.closed_by is not None
    assert closed.rectified_on is not None

    sent_back = Rectification.objects.get(measures__contains="【退回")
    assert sent_back.status == Rectification.Status.OPEN
    assert sent_back.rectified_on is None
    assert sent_back.history.filter(status=Rectification.Status.RECTIFIED).exists()
    replied = Escalation.objects.get(replied_at__isnull=False)
    assert replied.rectification == sent_back
    assert (replied.signed_by.username, replied.replied_by.username) == ("demo_dept", "demo_dept")
    assert replied.opinion
    assert replied.opinion_by.username == "demo_office"
    assert replied.referred_to == "区政府督查室"
    waiting = Escalation.objects.get(signed_at__isnull=True)
    assert waiting.waiting_for == "待签收"
    assert {replied.number, waiting.number} == {f"江北工改督〔{today.year}〕1号", f"江北工改督〔{today.year}〕2号"}
    # an inspection with each unit's result, one unit with problems and the others without
    inspection = Inspection.objects.get()
    outcomes = sorted(inspection.results.values_list("outcome", flat=True))
    assert outcomes[0] == "发现问题"
    assert "无问题" in outcomes
    # the notice from it: 主送 the member units (kept at issue), 抄送 区政府督查室 and another office
    notice = Notice.objects.get(inspection=inspection)
    assert len(notice.recipients) > 5
    assert notice.copy_to.startswith("区政府督查室、")

    overdue = list(Rectification.objects.overdue(today))
    assert len(overdue) == 1
    assert overdue[0].visit.problems_found
    assert Rectification.objects.filter(status=Rectification.Status.RECTIFIED).count() == 1
    assert Visit.objects.filter(status=Visit.Status.PLANNED).exists()
    assert Notice.objects.filter(status=Notice.Status.ISSUED).count() >= 1
    assert "已办结 1、待回访核实 1、整改中 3，其中逾期 1、退回重新整改 1" in out.getvalue()

    # the office finds each of them from its pages
    client = Client()
    assert client.post(reverse("login"), {"username": "demo_office", "password": DEMO_PASSWORD}).status_code == 302
    code = totp_code(User.objects.get(username="demo_office"))  # the demo phone's code
    assert client.post(reverse("two_factor_verify"), {"code": code}).status_code == 302
    for rectification in (closed, sent_back, overdue[0]):
        page = client.get(reverse("followups:rectification_detail", args=[rectification.pk])).content.decode()
        assert rectification.status in page
    # and the unit finds the 督办单 waiting for its signature on its to-do list
    unit = Client()
    assert unit.post(reverse("login"), {"username": "demo_dept", "password": DEMO_PASSWORD}).status_code == 302
    page = unit.get(reverse("ledger:workbench")).content.decode()
    assert waiting.number in page
    assert replied.number not in page

    # seeding again adds nothing
    call_command("seed_demo", stdout=io.StringIO())
    assert Draw.objects.count() == 1
    assert Rectification.objects.count() == 5
