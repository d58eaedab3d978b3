"""Every URL of the application, with a real object from the demo data for each argument.

Shared by the test that walks every URL with every role and the test that posts hostile values to
every form. A new URL that is not listed here fails ``test_every_url_is_walked``: whoever adds a
page says which object it opens, and the walk then checks who may see it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from qinqing.demo import DEMO_ACCOUNTS
from tests.auth import sign_in

# url name → how to find the object its argument names (model label, lookup), or a literal value
OBJECTS: dict[str, tuple[str, dict] | int] = {
    "ledger:export_download": ("ledger.Export", {}),
    "ledger:dossier_pdf": ("projects.Project", {"specialist__username": "demo_specialist"}),
    "ledger:export_job": ("ledger.ExportJob", {}),
    "ledger:import_detail": ("ledger.LedgerImport", {}),
    "ledger:import_confirm": ("ledger.LedgerImport", {}),
    "ledger:import_discard": ("ledger.LedgerImport", {}),
    "projects:detail": ("projects.Project", {"specialist__username": "demo_specialist"}),
    "projects:edit": ("projects.Project", {"specialist__username": "demo_specialist"}),
    "projects:reveal_phone": ("projects.Project", {"specialist__username": "demo_specialist"}),
    "projects:letter_create": ("projects.Project", {"specialist__username": "demo_specialist"}),
    "projects:matters_add": ("projects.Project", {"specialist__username": "demo_specialist"}),
    "projects:feedback_create": ("projects.Project", {"specialist__username": "demo_specialist"}),
    "projects:merge": ("projects.Project", {"specialist__username": "demo_specialist", "status": "咨询中"}),
    # a 待答复 consultation demo_specialist logged without a project (ledger/demo.py, projects/demo_duplicates.py)
    "projects:consultation_answer": (
        "projects.Consultation",
        {"recorded_by__username": "demo_specialist", "outcome": "待答复", "project__isnull": True},
    ),
    "projects:consultation_to_project": (
        "projects.Consultation",
        {"recorded_by__username": "demo_specialist", "outcome": "待答复", "project__isnull": True},
    ),
    "projects:letter_detail": ("projects.NotificationLetter", {}),
    "projects:letter_pdf": ("projects.NotificationLetter", {}),
    "projects:matter_move": (
        "projects.ProjectMatter",
        {"unit__name": "区住房城乡建委", "status__in": ["已受理", "审查中"]},
    ),
    "projects:matter_edit": ("projects.Matter", {}),
    "projects:missing_supply": ("projects.MissingMaterial", {}),
    "projects:commitment_check": ("projects.Commitment", {}),
    "projects:commitment_close": ("projects.Commitment", {}),
    "windows:handoff_create": ("projects.Project", {"specialist__username": "demo_specialist"}),
    "windows:handoff_detail": ("windows.Handoff", {"status": "已接收"}),
    "windows:handoff_return": ("windows.Handoff", {"status": "待接收"}),
    "windows:handoff_accept": ("windows.Handoff", {"status": "待接收"}),
    "windows:handoff_cancel": ("windows.Handoff", {"status": "待接收"}),
    "windows:report_create": ("windows.Handoff", {"status": "已接收"}),
    "windows:report_handle": ("windows.Report", {}),
    "windows:problem_create": ("projects.Project", {"specialist__username": "demo_specialist"}),
    "windows:problem_detail": ("windows.Problem", {}),
    "windows:meeting_detail": ("windows.Meeting", {}),
    "windows:meeting_pdf": ("windows.Meeting", {}),
    # held this morning, its minutes still to record (windows/demo.py)
    "windows:meeting_minutes": ("windows.Meeting", {"status": "待召开", "topic": "江北嘴金融城3号地块人防审批协调会"}),
    "windows:meeting_issue": ("windows.Meeting", {}),
    "windows:decision_update": ("windows.Decision", {}),
    "windows:window_edit": ("projects.Stage", {}),
    # 人员交接: demo_specialist holds open projects (the bulk page lists them to tick)
    "windows:handover_from": ("qinqing.User", {"username": "demo_specialist"}),
    "followups:draw_detail": ("followups.Draw", {}),
    "followups:visit_detail": ("followups.Visit", {}),
    "followups:visit_record": ("followups.Visit", {"status": "待回访"}),
    "followups:rectification_detail": ("followups.Rectification", {}),
    "followups:rectification_report": ("followups.Rectification", {}),
    "followups:rectification_return": ("followups.Rectification", {}),
    "followups:rectification_close": ("followups.Rectification", {}),
    "followups:escalation_detail": ("followups.Escalation", {}),
    "followups:escalation_close": ("followups.Escalation", {}),
    "followups:escalation_pdf": ("followups.Escalation", {}),
    "followups:escalation_sign": ("followups.Escalation", {"signed_at__isnull": True}),
    "followups:escalation_reply": ("followups.Escalation", {}),
    "followups:escalation_opinion": ("followups.Escalation", {}),
    "followups:notice_detail": ("followups.Notice", {}),
    "followups:notice_edit": ("followups.Notice", {}),
    "followups:notice_issue": ("followups.Notice", {}),
    "followups:notice_pdf": ("followups.Notice", {}),
    "followups:inspection_detail": ("followups.Inspection", {}),
    "staff:detail": ("qinqing.User", {"username": "liu_specialist"}),
    "staff:edit": ("qinqing.User", {"username": "liu_specialist"}),
    "staff:disable": ("qinqing.User", {"username": "liu_specialist"}),
    "staff:enable": ("qinqing.User", {"username": "he_retired"}),
    "staff:unlock": ("qinqing.User", {"username": "liu_specialist"}),
    "staff:reset_password": ("qinqing.User", {"username": "liu_specialist"}),
    "staff:reset_two_factor": ("qinqing.User", {"username": "demo_office"}),
    "projects:exchange_issue": ("projects.ExchangeIssue", {}),
    "projects:special_procedure": ("projects.ProjectMatter", {"status": "审查中"}),
    "staff:department_edit": ("qinqing.Department", {}),
    "sms:template_edit": ("qinqing.SmsTemplate", {}),
    "sms:resend": ("qinqing.SmsMessage", {}),
    "projects:matter_detail": ("projects.Matter", {}),
    "projects:material_create": ("projects.Matter", {}),
    "projects:materials_verify": ("projects.Matter", {}),
    "projects:material_edit": ("projects.Material", {}),
    "projects:material_template": ("projects.Material", {"template_file__gt": ""}),
    "projects:bundle_edit": ("projects.MatterBundle", {}),
    "staff:calendar_edit": 2027,
}

# the demo account of each role, and the anonymous visitor
SEATS = ("anonymous", *(username for username, *_ in DEMO_ACCOUNTS))


@dataclass(frozen=True)
class Page:
    name: str
    url: str


def url_names() -> list[str]:
    """Every named URL of the application (Django's own admin site aside)."""

    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.app_name == "admin":
                    continue
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return sorted(set(walk(get_resolver().url_patterns)))


def page_for(name: str) -> Page:
    """The URL of ``name``, its argument filled with the demo object ``OBJECTS`` names."""
    from django.apps import apps

    target = OBJECTS.get(name)
    if target is None:
        return Page(name, reverse(name))
    if isinstance(target, int):
        return Page(name, reverse(name, args=[target]))
    label, lookup = target
    obj = apps.get_model(label)._base_manager.filter(**lookup).order_by("pk").first()
    assert obj is not None, f"seed_demo has no {label} {lookup} for {name}"
    return Page(name, reverse(name, args=[obj.pk]))


def an_exchange_item() -> None:
    """The demo data has no exchange with the city's staging database (``make run`` runs one, not seed_demo):
    an item in the exchange inbox about a matter of demo_dept's unit, as a run leaves one."""
    from projects.exchange.models import ExchangeIssue, ExchangeRun
    from projects.models import ProjectMatter
    from qinqing.models import User

    unit = User.objects.get(username="demo_dept").department
    pm = ProjectMatter.objects.filter(unit=unit).exclude(case_no="").select_related("project").first()
    run = ExchangeRun.objects.create(status=ExchangeRun.Status.DONE, rows_read=1, conflicts=1)
    ExchangeIssue.objects.create(
        run=run,
        kind=ExchangeIssue.Kind.LOCAL_NEWER,
        table="SPGL_XMSPSXBLXXXXB",
        row_key="CQ-ZT-WALK-1",
        summary="本系统已把该事项记为更新的状态，未按市系统覆盖；请核对两边记录。",
        payload={"BLZT": 11, "SPSXSLBM": pm.case_no},
        project=pm.project,
        project_matter=pm,
        unit=unit,
    )


def upload_a_ledger() -> None:
    """The demo data has no Excel import waiting for confirmation, nor a background export: the
    reform office uploads one and queues the other."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from qinqing.models import User
    from tests.ledger.test_import import row, xlsx

    office = Client()
    sign_in(office, User.objects.get(username="demo_office"))
    content = xlsx([row(项目名称="走查用导入项目", 登记日期="2026-10-12", 建设单位="重庆某某置业有限公司")])
    response = office.post(
        reverse("ledger:import_upload"),
        {"file": SimpleUploadedFile("走查台账.xlsx", content, content_type="application/octet-stream")},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    from ledger.models import Export, ExportJob

    ExportJob.objects.create(
        kind=Export.Kind.LEDGER_XLSX, total=5000, requested_by=User.objects.get(username="demo_office")
    )
