"""SMS to the applicant from the dossier: acceptance, 补正, completion and the reminder two working days
before the due date; each on the dossier timeline; sent by the worker through a real HTTP gateway."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from projects import notify, services
from projects.models import Feedback, Project, ProjectMatter, TimelineEntry
from qinqing import sms
from qinqing.models import AuditEntry, SmsMessage, SmsTemplate
from qinqing.roles import Role
from tests.factories import MatterFactory, ProjectFactory, ProjectMatterFactory, UserFactory
from tests.sms_gateway import serve

ROOT = Path(__file__).resolve().parents[2]
S = ProjectMatter.Status
PHONE = "13800001234"


@pytest.fixture
def gateway(settings):
    """A real HTTP gateway on 127.0.0.1, and the settings that send through it."""
    yield from serve(settings)


def move(pm: ProjectMatter, to: str, on: date, reason: str = "", actor=None) -> ProjectMatter:
    pm.refresh_from_db()
    return services.matter_move(
        result=ProjectMatter.Result.PASSED if to == ProjectMatter.Status.DONE else "",
        actor=actor or pm.project.specialist,
        request=None,
        project_matter_id=pm.pk,
        version=pm.version,
        to_status=to,
        on=on,
        reason=reason,
    )


@pytest.fixture
def pm(db):
    specialist = UserFactory(roles=[Role.SPECIALIST], display_name="李明华", phone="023-67851234")
    project = ProjectFactory(name="滨江花园二期", contact_phone="138 0000 1234", specialist=specialist)
    return ProjectMatterFactory(project=project, matter=MatterFactory(name="建设工程规划许可", time_limit_workdays=5))


def _sms_entries(pm) -> list[TimelineEntry]:
    return list(TimelineEntry.objects.filter(project_matter=pm, kind=TimelineEntry.Kind.FEEDBACK).order_by("id"))


def test_acceptance_queues_the_acceptance_sms_to_the_contact_and_puts_it_on_the_timeline(pm):
    """Accepted 2026-02-12 with 5 working days: due 2026-02-26 (after the Spring Festival)."""
    move(pm, S.ACCEPTED, date(2026, 2, 12))
    message = SmsMessage.objects.get()
    assert message.phone == PHONE
    assert message.kind == SmsTemplate.Key.ACCEPTED
    assert message.status == SmsMessage.Status.PENDING
    assert message.text == (
        "【江北区亲清帮办】您好，滨江花园二期的建设工程规划许可已于2026年2月12日受理，承诺2026年2月26日前办结。"
        "如有疑问请联系帮办专员，电话023-67851234。"
    )
    assert (message.object_type, message.object_id) == ("projects.projectmatter", str(pm.pk))
    assert message.created_by == pm.project.specialist
    assert message.link == reverse("projects:detail", args=[pm.project_id])
    [entry] = _sms_entries(pm)
    assert entry.summary.startswith("受理短信已排队发送至 138****1234：【江北区亲清帮办】您好，滨江花园二期")
    assert PHONE not in entry.summary
    assert (entry.object_type, entry.object_id) == ("qinqing.smsmessage", str(message.pk))
    assert entry.actor == pm.project.specialist


def test_supplement_sms_says_what_to_bring_and_completion_is_told(pm):
    move(pm, S.ACCEPTED, date(2026, 3, 2))
    move(pm, S.SUPPLEMENT, date(2026, 3, 3), reason="补交总平面图（加盖出图章）2份")
    move(pm, S.REVIEWING, date(2026, 3, 5))  # back in review: not an event the applicant is told of
    move(pm, S.DONE, date(2026, 3, 6))
    kinds = list(SmsMessage.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["accepted", "supplement", "done"]
    supplement = SmsMessage.objects.get(kind="supplement")
    assert "需补正材料：补交总平面图（加盖出图章）2份。" in supplement.text
    done = SmsMessage.objects.get(kind="done")
    assert "已于2026年3月6日办结" in done.text
    assert pm.unit.name in done.text
    summaries = [e.summary for e in _sms_entries(pm)]
    assert [s.split("短信")[0] for s in summaries] == ["受理", "补正", "办结"]


def test_refusal_and_withdrawal_send_nothing(pm):
    move(pm, S.WITHDRAWN, date(2026, 3, 2), reason="申请人撤回")
    assert not SmsMessage.objects.exists()


def test_a_provisional_due_date_is_marked(pm):
    pm.due_on, pm.due_provisional, pm.status = date(2031, 1, 10), True, S.ACCEPTED
    assert notify.values_for(pm)["到期日"] == "2031年1月10日（暂按）"


def test_the_administrators_text_is_used_and_an_inactive_template_sends_nothing(pm):
    sms.ensure_templates()
    SmsTemplate.objects.filter(key="accepted").update(text="【江北区亲清帮办】{事项}已受理，专员{专员}。")
    SmsTemplate.objects.filter(key="done").update(is_active=False)
    move(pm, S.ACCEPTED, date(2026, 3, 2))
    move(pm, S.DONE, date(2026, 3, 3))
    assert list(SmsMessage.objects.values_list("text", flat=True)) == [
        "【江北区亲清帮办】建设工程规划许可已受理，专员李明华。"
    ]


def test_a_landline_gets_no_sms_and_the_timeline_says_to_phone(pm):
    Project.objects.filter(pk=pm.project_id).update(contact_phone="023-67891234")
    move(pm, S.ACCEPTED, date(2026, 3, 2))
    assert not SmsMessage.objects.exists()
    [entry] = _sms_entries(pm)
    assert entry.summary == "未发送受理短信：联系电话 023****1234 不是手机号码，请电话告知申请人。"


def test_a_refused_move_queues_nothing(pm):
    with pytest.raises(Exception, match="不能直接改为"):
        move(pm, S.DONE, date(2026, 3, 2))
    assert not SmsMessage.objects.exists()


# --- the reminder -----------------------------------------------------------------------------------


def test_the_reminder_is_queued_once_two_working_days_before_the_due_date(pm):
    move(pm, S.ACCEPTED, date(2026, 2, 12))  # due Thursday 2026-02-26
    SmsMessage.objects.all().delete()
    assert notify.queue_reminders(date(2026, 2, 23)) == 0  # Monday: three working days ahead
    assert notify.queue_reminders(date(2026, 2, 24)) == 1  # Tuesday: two working days ahead
    assert notify.queue_reminders(date(2026, 2, 24)) == 0  # the worker's next pass the same day
    assert notify.queue_reminders(date(2026, 2, 25)) == 0  # the next day: already reminded
    message = SmsMessage.objects.get()
    assert message.kind == "reminder"
    assert message.dedupe_key == f"reminder:{pm.pk}:20260226"
    assert "承诺于2026年2月26日前办结" in message.text
    assert message.created_by is None
    entry = _sms_entries(pm)[-1]
    assert entry.summary.startswith("到期前提醒短信已排队发送至 138****1234")
    assert entry.actor is None


def test_a_missed_day_is_caught_up_and_a_moved_due_date_is_reminded_again(pm):
    move(pm, S.ACCEPTED, date(2026, 2, 12))
    assert notify.queue_reminders(date(2026, 2, 25)) == 1  # the worker was down on the 24th
    ProjectMatter.objects.filter(pk=pm.pk).update(due_on=date(2026, 2, 27))  # e.g. a 补正 moved it
    assert notify.queue_reminders(date(2026, 2, 26)) == 1
    assert SmsMessage.objects.filter(kind="reminder").count() == 2


def test_no_reminder_for_short_paused_closed_or_finished_matters(db):
    def accepted(limit: int) -> ProjectMatter:
        pm = ProjectMatterFactory(matter=MatterFactory(time_limit_workdays=limit))
        return move(pm, S.ACCEPTED, date(2026, 2, 12))

    accepted(2)  # the acceptance SMS already gave a date this close
    paused = accepted(5)
    move(paused, S.SUPPLEMENT, date(2026, 2, 13), reason="补图纸")
    Project.objects.filter(pk=accepted(5).project_id).update(status=Project.Status.TERMINATED)
    finished = accepted(5)
    move(finished, S.DONE, date(2026, 2, 13))
    assert notify.queue_reminders(date(2026, 2, 24)) == 0


def test_the_worker_pass_queues_the_days_reminders(pm, settings):
    move(pm, S.ACCEPTED, date(2026, 2, 12))
    responses = sms.sms_pass.send(sender=SmsMessage, today=date(2026, 2, 24))
    assert 1 in [answer for _, answer in responses]


# --- the outcome on the dossier ---------------------------------------------------------------------


def test_a_sent_message_becomes_feedback_on_the_dossier(pm):
    move(pm, S.ACCEPTED, date(2026, 3, 2))
    message = SmsMessage.objects.get()
    assert sms.send_due(backend=sms.ConsoleBackend()).sent == 1
    message.refresh_from_db()
    feedback = Feedback.objects.get()
    assert (feedback.method, feedback.content, feedback.project_matter) == ("短信", message.text, pm)
    assert feedback.told_at == message.sent_at
    assert feedback.recorded_by == pm.project.specialist
    last = _sms_entries(pm)[-1]
    assert last.summary == "受理短信已发出至 138****1234（短信反馈申请人）"
    assert (last.object_type, last.object_id) == ("projects.feedback", str(feedback.pk))
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CREATE, object_type="projects.feedback").exists()


def test_a_failed_message_is_on_the_dossier_with_its_reason(pm):
    class Refusing(sms.Backend):
        label = "refusing"

        def send(self, phone, text, *, reference):
            return sms.Result(ok=False, error="短信网关拒绝发送：号码为空号", final=True)

    move(pm, S.ACCEPTED, date(2026, 3, 2))
    assert sms.send_due(backend=Refusing()).failed == 1
    assert not Feedback.objects.exists()
    last = _sms_entries(pm)[-1]
    assert last.summary == "受理短信发送失败（138****1234，尝试 1 次）：短信网关拒绝发送：号码为空号 请电话告知申请人。"


# --- the whole path: a page, the worker, a real gateway ---------------------------------------------


def _work() -> None:
    """What the worker service does: run every task that is due, then stop."""
    call_command("db_worker", batch=True, no_startup_delay=True, interval=0, stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_acceptance_on_the_page_is_sent_by_the_worker_through_the_gateway(client_for, gateway):
    from django_tasks_db.models import DBTaskResult

    client = client_for(Role.SPECIALIST, phone="023-67851234")
    sms.ensure_templates()  # a transactional test starts from a flushed database
    pm = ProjectMatterFactory(project=ProjectFactory(specialist=client.user, name="寸滩物流园"))
    gateway.answer(500, {"error": "busy"})
    gateway.answer(200, {"ok": True, "id": "GW-1"})
    response = client.post(
        reverse("projects:matter_move", args=[pm.pk]),
        {"to_status": S.ACCEPTED, "on": "2026-11-20", "mode": "常规", "reason": "", "version": pm.version},
    )
    assert response.status_code == 302
    message = SmsMessage.objects.get()
    assert message.status == SmsMessage.Status.PENDING
    assert gateway.received == []  # the request never waits for the gateway
    assert DBTaskResult.objects.filter(task_path="qinqing.sms.send_queued").count() == 1

    _work()  # the first try meets a 500: retried a minute later
    message.refresh_from_db()
    assert (message.status, message.attempts) == (SmsMessage.Status.PENDING, 1)
    SmsMessage.objects.filter(pk=message.pk).update(next_attempt_at=message.created_at)  # a minute passes
    sms.schedule()
    _work()

    message.refresh_from_db()
    assert (message.status, message.attempts, message.provider_id) == (SmsMessage.Status.SENT, 2, "GW-1")
    assert [r.body["phone"] for r in gateway.received] == [PHONE, PHONE]
    assert "寸滩物流园" in gateway.received[-1].body["text"]
    summaries = list(TimelineEntry.objects.filter(project_matter=pm, kind="feedback").values_list("summary", flat=True))
    assert any(s.startswith("受理短信已排队发送") for s in summaries)
    assert "受理短信已发出至 138****1234（短信反馈申请人）" in summaries


@pytest.mark.django_db(transaction=True)
def test_the_send_sms_command_makes_a_pass(pm, gateway):
    move(pm, S.ACCEPTED, date(2026, 3, 2))
    out = io.StringIO()
    call_command("send_sms", stdout=out)
    assert "发送成功 1 条" in out.getvalue()
    assert SmsMessage.objects.get().status == SmsMessage.Status.SENT


def test_the_dossier_part_listens_from_the_start():
    """The worker and ``manage.py send_sms`` import only the ground; before a pass the ground finds the
    dossier's receivers (the reminders, the outcome on the timeline) without importing the part."""
    code = (
        "import django; django.setup(); from qinqing import sms; sms.connect_parts(); "
        "assert sms.sms_finished.has_listeners(sms.SmsMessage) and sms.sms_pass.has_listeners(sms.SmsMessage)"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "qinqing.settings", "QINQING_ENV": "test"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_seed_sms_makes_sent_queued_and_failed_messages(db):
    for n in range(8):
        project = ProjectFactory(contact_phone=f"1380000{n:04d}")
        move(ProjectMatterFactory(project=project), S.ACCEPTED, date(2026, 3, 2))
    out = io.StringIO()
    notify.seed_sms(out)
    statuses = list(SmsMessage.objects.values_list("status", flat=True))
    assert statuses.count("已发送") == 2
    assert statuses.count("失败") == 3
    assert statuses.count("待发送") == 3
    assert "发送成功 2 条" in out.getvalue()
