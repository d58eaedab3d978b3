"""Every URL, walked with every role on the demo data: each seat gets the status it should.

The expected table is the hall's access design in one place: 200 for a page the seat may open, 403
for a page its role may not use, 404 for an object outside its scope (its existence is not told),
405 for an action that takes only POST, 302 to the login page for the anonymous visitor. No URL may
answer 500, and every page that opens sends ``Cache-Control: no-store``.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from qinqing.models import User
from tests.auth import sign_in
from tests.qinqing.walk import OBJECTS, SEATS, an_exchange_item, page_for, upload_a_ledger, url_names

# columns: anonymous, demo_specialist, demo_window, demo_dept, demo_office, demo_admin, demo_auditor.
# Objects are those ``walk.OBJECTS`` picks: the dossier is demo_specialist's, with a matter of
# demo_dept's unit; the first export, visit, letter and report belong to others than some seats,
# which therefore get 404. An action that takes only POST answers 405 to a GET from anyone signed in.
_TABLE = """
audit:export                   302 403 403 403 403 403 200
audit:list                     302 403 403 403 403 403 200
audit:approval                 302 403 403 403 403 403 200
followups:draw_create          302 403 403 403 200 403 403
followups:draw_detail          302 403 403 403 200 403 403
followups:draw_list            302 403 403 403 200 403 403
followups:escalation_close     302 405 405 405 405 405 405
followups:escalation_create    302 403 403 403 200 403 403
followups:escalation_detail    302 403 403 200 200 403 403
followups:escalation_list      302 403 403 200 200 403 403
followups:escalation_opinion   302 405 405 405 405 405 405
followups:escalation_pdf       302 403 403 200 200 403 403
followups:escalation_reply     302 405 405 405 405 405 405
followups:escalation_sign      302 405 405 405 405 405 405
followups:index                302 403 403 200 200 403 403
followups:inspection_create    302 403 403 403 200 403 403
followups:inspection_detail    302 403 403 200 200 403 403
followups:inspection_list      302 403 403 200 200 403 403
followups:notice_create        302 403 403 403 200 403 403
followups:notice_detail        302 403 403 200 200 403 403
followups:notice_edit          302 403 403 403 302 403 403
followups:notice_issue         302 405 405 405 405 405 405
followups:notice_list          302 403 403 200 200 403 403
followups:notice_pdf           302 403 403 200 200 403 403
followups:rectification_close  302 405 405 405 405 405 405
followups:rectification_detail 302 403 403 200 200 403 403
followups:rectification_list   302 403 403 200 200 403 403
followups:rectification_report 302 405 405 405 405 405 405
followups:rectification_return 302 405 405 405 405 405 405
followups:visit_detail         302 403 403 404 200 403 403
followups:visit_list           302 403 403 200 200 403 403
followups:visit_record         302 403 403 403 200 403 403
ledger:dossier_pdf             302 200 200 200 200 403 403
ledger:export_download         302 404 404 404 200 403 403
ledger:export_job              302 404 404 403 200 403 403
ledger:export_list             302 200 200 200 200 403 403
ledger:export_pdf              302 200 200 403 200 403 403
ledger:export_xlsx             302 200 200 403 200 403 403
ledger:import_confirm          302 405 405 405 405 405 405
ledger:import_detail           302 403 403 403 200 403 403
ledger:import_discard          302 405 405 405 405 405 405
ledger:import_upload           302 403 403 403 200 403 403
ledger:index                   302 200 200 403 200 403 403
ledger:matters                 302 200 200 403 200 403 403
ledger:summary                 302 403 403 403 200 403 403
ledger:summary_issue           302 405 405 405 405 405 405
ledger:summary_narrative       302 405 405 405 405 405 405
ledger:summary_pdf             302 403 403 403 200 403 403
ledger:summary_xlsx            302 403 403 403 200 403 403
ledger:workbench               302 200 200 200 200 200 200
health                         200 200 200 200 200 200 200
login                          200 302 302 302 302 302 302
logout                         302 405 405 405 405 405 405
password_change                302 200 200 200 200 200 200
two_factor                     302 200 200 200 200 200 200
two_factor_codes               302 302 302 302 302 302 302
two_factor_verify              302 302 302 302 302 302 302
progress_lookup                200 200 200 200 200 200 200
projects:catalogue             302 200 200 200 200 200 403
projects:exchange              302 403 403 200 200 403 403
projects:exchange_issue        302 403 403 200 200 403 403
projects:exchange_run          302 405 405 405 405 405 405
projects:special_procedure     302 405 405 405 405 405 405
projects:consultation_answer   302 200 403 403 403 403 403
projects:consultation_create   302 200 403 403 403 403 403
projects:consultation_to_project 302 200 403 403 403 403 403
projects:consultation_list     302 200 200 403 200 403 403
projects:create                302 200 403 403 403 403 403
projects:detail                302 200 200 200 200 403 403
projects:edit                  302 200 403 403 403 403 403
projects:feedback_create       302 200 403 403 403 403 403
projects:index                 302 200 200 200 200 403 403
projects:letter_create         302 200 403 403 403 403 403
projects:letter_detail         302 200 404 404 200 403 403
projects:letter_pdf            302 200 404 404 200 403 403
projects:matter_create         302 403 403 403 403 200 403
projects:matter_detail         302 200 200 200 200 200 403
projects:matter_edit           302 403 403 403 403 200 403
projects:material_create       302 403 403 403 403 200 403
projects:material_edit         302 403 403 403 403 200 403
projects:material_template     302 200 200 200 200 200 403
projects:materials_verify      302 405 405 405 405 405 405
projects:bundle_create         302 403 403 403 403 200 403
projects:bundle_edit           302 403 403 403 403 200 403
projects:matter_move           302 200 200 200 403 403 403
projects:missing_supply        302 405 405 405 405 405 405
projects:commitment_check      302 405 405 405 405 405 405
projects:commitment_close      302 405 405 405 405 405 405
projects:matters_add           302 200 403 403 403 403 403
projects:merge                 302 200 403 403 200 403 403
projects:reveal_phone          302 405 405 405 405 405 405
projects:unit_matters          302 200 200 200 200 403 403
sms:list                       302 403 403 403 200 200 403
sms:resend                     302 405 405 405 405 405 405
sms:template_edit              302 403 403 403 403 200 403
sms:templates                  302 403 403 403 403 200 403
staff:calendar_edit            302 403 403 403 403 200 403
staff:calendar_list            302 403 403 403 403 200 403
staff:create                   302 403 403 403 403 200 403
staff:department_create        302 403 403 403 403 200 403
staff:department_edit          302 403 403 403 403 200 403
staff:department_list          302 403 403 403 403 200 403
staff:detail                   302 403 403 403 403 200 403
staff:disable                  302 405 405 405 405 405 405
staff:edit                     302 403 403 403 403 200 403
staff:enable                   302 405 405 405 405 405 405
staff:list                     302 403 403 403 403 200 403
staff:reset_password           302 405 405 405 405 405 405
staff:reset_two_factor         302 405 405 405 405 405 405
staff:unlock                   302 405 405 405 405 405 405
windows:decision_update        302 405 405 405 405 405 405
windows:handoff_accept         302 405 405 405 405 405 405
windows:handoff_cancel         302 405 405 405 405 405 405
windows:handoff_create         302 200 403 403 403 403 403
windows:handoff_detail         302 200 200 404 200 403 403
windows:handoff_return         302 405 405 405 405 405 405
windows:handover               302 403 403 403 200 200 403
windows:handover_from          302 403 403 403 200 200 403
windows:index                  302 200 200 200 200 403 403
windows:meeting_create         302 403 200 403 200 403 403
windows:meeting_detail         302 200 200 200 200 403 403
windows:meeting_list           302 200 200 200 200 403 403
windows:meeting_issue          302 405 405 405 405 405 405
windows:meeting_minutes        302 403 200 403 200 403 403
windows:meeting_pdf            302 200 200 200 200 403 403
windows:problem_create         302 200 200 200 200 403 403
windows:problem_detail         302 200 200 200 200 403 403
windows:problem_list           302 200 200 200 200 403 403
windows:report_create          302 405 405 405 405 405 405
windows:report_handle          302 200 404 404 404 403 403
windows:window_edit            302 403 403 403 403 200 403
windows:window_list            302 403 403 403 403 200 403
"""


def _parse(table: str) -> dict[str, tuple[int, ...]]:
    rows = {}
    for line in table.strip().splitlines():
        name, *codes = line.split()
        rows[name] = tuple(int(code) for code in codes)
    return rows


def _walk(names: list[str]) -> dict[str, tuple[int, ...]]:
    clients = {}
    for seat in SEATS:
        client = Client()
        if seat != "anonymous":
            sign_in(client, User.objects.get(username=seat))
        clients[seat] = client
    observed = {}
    for name in names:
        page = page_for(name)
        statuses = []
        for seat in SEATS:
            response = clients[seat].get(page.url)
            assert response.status_code != 500, f"{name} as {seat}: 500"
            if response.status_code == 200 and seat != "anonymous" and name not in ("progress_lookup", "health"):
                assert "no-store" in response.get("Cache-Control", ""), f"{name} as {seat}: cacheable"
            if response.status_code == 302 and seat == "anonymous":
                assert response["Location"].startswith("/accounts/login/"), f"{name}: anonymous not sent to login"
            statuses.append(response.status_code)
        observed[name] = tuple(statuses)
    return observed


def _table(observed: dict[str, tuple[int, ...]]) -> str:
    width = max(len(name) for name in observed)
    return "\n".join(f"{name:<{width}} " + " ".join(str(code) for code in codes) for name, codes in observed.items())


def test_every_url_is_walked():
    """A URL added without an entry here (or a stale entry) fails, so no page escapes the walk."""
    names = set(url_names())
    expected = set(_parse(_TABLE))
    assert names - expected == set(), "new URLs: add them to _TABLE (and OBJECTS if they take an argument)"
    assert expected - names == set(), "URLs that no longer exist are still listed"
    assert set(OBJECTS) <= names


@pytest.mark.django_db
def test_every_url_with_every_role():
    """GIVEN the demo data WHEN each seat opens every URL THEN each gets exactly the expected status."""
    call_command("seed_demo", stdout=io.StringIO())
    upload_a_ledger()
    an_exchange_item()
    expected = _parse(_TABLE)
    observed = _walk(sorted(expected))
    header = "seats: " + " ".join(SEATS)
    assert observed == expected, f"{header}\n{_table(observed)}"
