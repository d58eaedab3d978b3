"""Telling the applicant by SMS: at acceptance, at 补正 (with what to bring), two working days before
the due date, and at completion.

``matter_moved`` is called by ``services.matter_move`` inside its transaction: it renders the
administrator's template (qinqing.sms), queues the message to the project's contact phone and writes
it on the dossier timeline, all in that transaction; the worker is asked to send once it commits, so
no request ever waits for the gateway. When the gateway has answered for good, ``qinqing.sms`` sends
``sms_finished`` and this module writes the end on the timeline: a sent message becomes a
``Feedback`` (短信) like any other telling of the applicant; a failed one says why and asks the
specialist to phone.

The reminders. Every pass of the worker (qinqing.sms: at least daily at 09:00 while it runs, and
``manage.py send_sms``) sends ``sms_pass``; this module then queues a reminder for every open matter
whose due date falls within the next two working days (so a day the worker was down is caught up the
next) and whose committed limit is over two working days (shorter ones learnt the date at
acceptance), once per matter and due date: a due date moved by a 补正 or a calendar change is reminded
again. The ground finds these receivers itself (``qinqing.sms.connect_parts``).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from projects import timeline
from projects.models import Feedback, Project, ProjectMatter
from projects.timeline import Kind
from qinqing import audit, sms
from qinqing.masking import mask_phone
from qinqing.models import AuditEntry, SmsMessage, SmsTemplate, User
from qinqing.workdays import PROVISIONAL_MARK, WorkCalendar

logger = logging.getLogger(__name__)

Key = SmsTemplate.Key
S = ProjectMatter.Status

# the moves the applicant is told of, and the template of each
EVENTS = {S.ACCEPTED: Key.ACCEPTED, S.SUPPLEMENT: Key.SUPPLEMENT, S.DONE: Key.DONE}
REMINDER_WORKDAYS = 2
MATTER_TYPE = "projects.projectmatter"


def _day(value: date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def values_for(pm: ProjectMatter) -> dict[str, str]:
    """The placeholders' values for ``pm`` (qinqing.sms.PLACEHOLDERS names them)."""
    project = pm.project
    specialist = project.specialist
    due = _day(pm.due_on)
    if due and pm.due_provisional:
        due += PROVISIONAL_MARK
    materials = pm.last_reason if pm.status == S.SUPPLEMENT else ""
    if len(materials) > 150:
        materials = materials[:149] + "…"
    return {
        "项目名称": project.name,
        "事项": pm.matter.name,
        "办理单位": pm.unit.name,
        "专员": specialist.name,
        # the specialist's office phone; else the matter's enquiry phone; else the hall's
        "专员电话": specialist.phone or pm.matter.phone or getattr(settings, "HALL_PHONE", ""),
        "查询号": project.code or project.lookup_no,
        "受理日期": _day(pm.accepted_on),
        "到期日": due,
        "材料": materials,
        "办结日期": _day(pm.finished_on),
    }


def _notify(pm: ProjectMatter, key: str, *, actor: User | None, dedupe_key: str = "") -> SmsMessage | None:
    template = sms.template_for(key)
    if not template.is_active:  # the administrator has switched this kind off
        return None
    project = pm.project
    if sms.mobile_number(project.contact_phone) is None:
        if not dedupe_key:  # told once per move; a daily reminder would repeat it every day
            timeline.record(
                project,
                Kind.FEEDBACK,
                actor,
                f"未发送{template.name}短信：联系电话 {mask_phone(project.contact_phone)} 不是手机号码，请电话告知申请人。",
                project_matter=pm,
            )
        return None
    text = sms.render(template.text, values_for(pm))
    message = sms.queue(
        phone=project.contact_phone,
        kind=key,
        text=text,
        created_by=actor,
        obj=pm,
        subject=f"{project.name} · {pm.matter.name}",
        link=reverse("projects:detail", args=[project.pk]),
        dedupe_key=dedupe_key,
    )
    if message is None:
        return None
    timeline.record(
        project,
        Kind.FEEDBACK,
        actor,
        f"{template.name}短信已排队发送至 {mask_phone(message.phone)}：{text}",
        project_matter=pm,
        detail={"短信": str(message.pk), "类别": template.name},
        obj=message,
    )
    return message


def matter_moved(pm: ProjectMatter, *, actor: User) -> SmsMessage | None:
    """Queue the applicant's SMS for a move just made (acceptance, 补正, completion), in its transaction."""
    key = EVENTS.get(pm.status)
    if key is None:
        return None
    return _notify(pm, key, actor=actor)


def reminders_due(today: date | None = None, calendar: WorkCalendar | None = None):
    """Open matters to remind today: due within the next two working days, limit over two days."""
    today = today or timezone.localdate()
    horizon = (calendar or WorkCalendar()).add_workdays(today, REMINDER_WORKDAYS).date
    return (
        ProjectMatter.objects.filter(
            status__in=(S.ACCEPTED, S.REVIEWING),
            due_on__gt=today,
            due_on__lte=horizon,
            time_limit_workdays__gt=REMINDER_WORKDAYS,
        )
        .exclude(project__status__in=(Project.Status.TERMINATED, Project.Status.MERGED, Project.Status.COMPLETED))
        .select_related("project", "project__specialist", "matter", "unit")
        .order_by("due_on", "pk")
    )


@receiver(sms.sms_pass, sender=SmsMessage, dispatch_uid="projects.notify.reminders")
def _pass(sender, today: date, **kwargs) -> int:
    return queue_reminders(today)


def queue_reminders(today: date | None = None) -> int:
    """Queue the reminders of ``today``; a matter and due date already reminded is skipped."""
    queued = 0
    for pm in reminders_due(today):
        with transaction.atomic():
            message = _notify(pm, Key.REMINDER, actor=None, dedupe_key=f"reminder:{pm.pk}:{pm.due_on:%Y%m%d}")
        queued += message is not None
    return queued


@receiver(sms.sms_finished, sender=SmsMessage, dispatch_uid="projects.notify.finished")
def _finished(sender, message: SmsMessage, **kwargs) -> None:
    """The gateway's last word on a matter's message, on its dossier (in the recording transaction)."""
    if message.object_type != MATTER_TYPE:
        return
    pm = ProjectMatter.objects.select_related("project__specialist").filter(pk=message.object_id).first()
    if pm is None:
        return
    project = pm.project
    kind = message.get_kind_display()
    if message.status == SmsMessage.Status.SENT:
        recorder = message.created_by or project.specialist
        feedback = Feedback.objects.create(
            project=project,
            project_matter=pm,
            told_at=message.sent_at,
            method=Feedback.Method.SMS,
            content=message.text,
            recorded_by=recorder,
        )
        timeline.record(
            project,
            Kind.FEEDBACK,
            None,
            f"{kind}短信已发出至 {mask_phone(message.phone)}（短信反馈申请人）",
            occurred_at=message.sent_at,
            project_matter=pm,
            detail={"短信": str(message.pk), "回执": message.provider_id},
            obj=feedback,
        )
        audit.record(action=AuditEntry.Action.CREATE, actor=recorder, obj=feedback, detail="短信发出，自动登记反馈")
    else:
        timeline.record(
            project,
            Kind.FEEDBACK,
            None,
            f"{kind}短信发送失败（{mask_phone(message.phone)}，尝试 {message.attempts} 次）：{message.last_error} 请电话告知申请人。",
            project_matter=pm,
            detail={"短信": str(message.pk)},
            obj=message,
        )


# ---------------------------------------------------------------------------------------------
# Demo data


def seed_sms(stdout) -> None:
    """Demo: the messages the seeded moves queued are sent (the configured gateway: in development the
    file var/sms/outbox.jsonl), a few stay queued, and a
    few fail (a gateway's refusal), so the 短信记录 page and the dossiers show all three."""
    sms.ensure_templates()
    waiting = list(sms.due().order_by("pk").values_list("pk", flat=True))
    if not waiting:
        stdout.write("短信：无待发送的演示短信")
        return
    kept, failing = waiting[-3:], waiting[-6:-3]

    class _DemoGateway(sms.Backend):
        label = "demo"

        def send(self, phone: str, text: str, *, reference: str) -> sms.Result:
            if int(reference.removeprefix("qq-")) in failing:
                return sms.Result(ok=False, error="短信网关拒绝发送：号码为空号或已停机", final=True)
            return gateway.send(phone, text, reference=reference)

    gateway = sms.get_backend()
    later = timezone.now() + timedelta(hours=1)
    SmsMessage.objects.filter(pk__in=kept).update(next_attempt_at=later)  # these wait for the worker
    outcome = sms.send_due(backend=_DemoGateway())
    SmsMessage.objects.filter(pk__in=kept).update(next_attempt_at=timezone.now())
    stdout.write(f"短信：{outcome}，待发送 {len(kept)} 条")
