"""SMS to applicants: editable templates, a queue in the database, and the gateway that sends it.

A part with something to tell an applicant renders a template (``render``) and queues a message
(``queue``) in its own transaction. The background worker (``manage.py db_worker``) calls
``send_due``: it claims the messages whose time has come, sends each through the gateway chosen by
``settings.SMS_BACKEND`` outside any transaction, and records the outcome. A failure the gateway may
get over (no connection, a timeout, an HTTP status other than 2xx) is retried after a delay that
grows fourfold (``settings.SMS_RETRY_SECONDS``: 1, 4, 16, 64 minutes…) until
``settings.SMS_MAX_ATTEMPTS`` tries; a rejection by the provider (the number does not exist, the text
was refused) is final at once. When a message ends, sent or failed, ``sms_finished`` is sent inside
the transaction that records it, so the part that queued it can write its own records (the dossier
timeline) atomically; the ground never imports the parts above it.

The worker has no clock of its own, so the task ``send_queued`` keeps itself scheduled: each pass
sends ``sms_pass`` (the dossier part queues the day's reminders), sends what is due, and leaves one
pass queued for the earliest of the next retry and 09:00 the next day. The chain starts with the first
message queued (or ``manage.py send_sms``); while the worker runs, the reminders go out every day.
``manage.py send_sms`` makes one pass at once: a cron job or systemd timer may run it daily as a
safety net, and running it twice does no harm.

The HTTP gateway posts ``{"phone", "text", "reference"}`` as JSON to ``QINQING_SMS_URL`` with
``Authorization: Bearer QINQING_SMS_KEY``. A 2xx answer is success (its ``id`` or ``message_id``, if
any, is kept as the receipt), unless its JSON says ``"ok": false`` — the provider's explicit refusal,
whose ``error`` or ``message`` is kept as the reason. ``reference`` (``qq-<id>``) is the same on every
try of one message, so a provider that deduplicates by it never delivers a retried message twice.
A provider with another API gets a small adapter in front of it, or a backend class named by its
dotted path in ``QINQING_SMS_BACKEND``.

Phone numbers are masked in every log line, file line, audit row and page.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.dispatch import Signal
from django.http import HttpRequest
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules, import_string
from django_tasks import task

from qinqing import audit
from qinqing.masking import mask_numbers_in, mask_phone
from qinqing.models import AuditEntry, SmsMessage, SmsTemplate, User
from qinqing.services import versioned_update

logger = logging.getLogger(__name__)

Key = SmsTemplate.Key
Status = SmsMessage.Status

# sent inside the transaction that records a message's end (已发送 or 失败), with ``message``
sms_finished = Signal()
# sent at the start of every worker pass, with ``today``: a part queues its periodic messages (the
# reminders before a due date) and returns how many it queued
sms_pass = Signal()

# ---------------------------------------------------------------------------------------------
# Templates

_COMMON = ("项目名称", "事项", "办理单位", "专员", "专员电话", "查询号")
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    Key.ACCEPTED: (*_COMMON, "受理日期", "到期日"),
    Key.SUPPLEMENT: (*_COMMON, "材料"),
    Key.REMINDER: (*_COMMON, "到期日"),
    Key.DONE: (*_COMMON, "办结日期"),
}
SIGNATURE = "【江北区亲清帮办】"
# the same texts as migration 0009 (which must not import this module); used again after a test flush
DEFAULT_TEMPLATES: dict[str, tuple[str, str]] = {
    Key.ACCEPTED: (
        "受理",
        "【江北区亲清帮办】您好，{项目名称}的{事项}已于{受理日期}受理，承诺{到期日}前办结。如有疑问请联系帮办专员，电话{专员电话}。",
    ),
    Key.SUPPLEMENT: (
        "补正",
        "【江北区亲清帮办】您好，{项目名称}的{事项}需补正材料：{材料}。请备齐后交回受理窗口，补正期间暂停计时。咨询电话{专员电话}。",
    ),
    Key.REMINDER: (
        "到期前提醒",
        "【江北区亲清帮办】您好，{项目名称}的{事项}承诺于{到期日}前办结，我们正在跟进。如有疑问请联系帮办专员，电话{专员电话}。",
    ),
    Key.DONE: (
        "办结",
        "【江北区亲清帮办】您好，{项目名称}的{事项}已于{办结日期}办结，请按{办理单位}通知领取审批结果。咨询电话{专员电话}。",
    ),
}
TEXT_LIMIT = 500  # a rendered message; the template itself is at most 300 characters
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def placeholder_help(key: str) -> str:
    return "、".join(f"{{{name}}}" for name in PLACEHOLDERS[key])


def template_errors(key: str, text: str) -> list[str]:
    """What is wrong with a template's text, in Chinese; empty if nothing."""
    errors = []
    allowed = PLACEHOLDERS[key]
    unknown = [name for name in _PLACEHOLDER.findall(text) if name not in allowed]
    if unknown:
        names = "、".join(dict.fromkeys(f"{{{name}}}" for name in unknown))
        errors.append(f"未知的占位符：{names}。本类短信可用：{placeholder_help(key)}。")
    if "{" in _PLACEHOLDER.sub("", text) or "}" in _PLACEHOLDER.sub("", text):
        errors.append("大括号不成对：占位符须写成 {项目名称} 这样，一对大括号中间是占位符名称。")
    if not re.search(r"【[^【】]{2,12}】", text):
        errors.append(f"短信须带签名，例如 {SIGNATURE}（运营商不发送无签名的短信）。")
    return errors


def segments(text: str) -> int:
    """How many billed SMS a text of this length takes (70 characters, or 67 each when split)."""
    return 1 if len(text) <= 70 else -(-len(text) // 67)


def render(text: str, values: dict[str, str]) -> str:
    """The template text with each {名称} replaced by its value (unknown names left as they are)."""
    rendered = _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)
    return rendered if len(rendered) <= TEXT_LIMIT else rendered[: TEXT_LIMIT - 1] + "…"


def template_for(key: str) -> SmsTemplate:
    """The template of ``key``; the default one is created if it is missing."""
    name, text = DEFAULT_TEMPLATES[key]
    template, _ = SmsTemplate.objects.get_or_create(key=key, defaults={"name": name, "text": text})
    return template


def ensure_templates() -> list[SmsTemplate]:
    return [template_for(key) for key in Key]


def _template_snapshot(template: SmsTemplate) -> dict:
    return {"名称": template.name, "短信内容": template.text, "启用": "是" if template.is_active else "否"}


@transaction.atomic
def template_update(
    *,
    actor: User,
    request: HttpRequest | None,
    template_id: int,
    version: int,
    name: str,
    text: str,
    is_active: bool,
) -> SmsTemplate:
    """Change a template: placeholders checked, a stale form refused, history kept, audited."""
    template = SmsTemplate.objects.get(pk=template_id)
    text = text.strip()
    errors = template_errors(template.key, text)
    if errors:
        raise ValidationError(errors, code="bad_template")
    return versioned_update(
        model=SmsTemplate,
        pk=template_id,
        version=version,
        changes={"name": name.strip(), "text": text, "is_active": is_active, "updated_by": actor},
        snapshot=_template_snapshot,
        actor=actor,
        request=request,
        reason="修改短信模板",
    )


# ---------------------------------------------------------------------------------------------
# The queue

_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")


def mobile_number(phone: str) -> str | None:
    """The 11-digit mobile number in ``phone`` (spaces, hyphens and a +86 prefix allowed), or None for
    a landline or anything else an SMS cannot go to."""
    digits = re.sub(r"[\s\-()]", "", phone or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits if _MOBILE.match(digits) else None


def queue(
    *,
    phone: str,
    kind: str,
    text: str,
    created_by: User | None,
    obj=None,
    subject: str = "",
    link: str = "",
    dedupe_key: str = "",
) -> SmsMessage | None:
    """Queue one message in the caller's transaction; None if ``dedupe_key`` was queued before.

    ``phone`` must be a mobile number (``mobile_number``); ``obj`` is what the message is about."""
    number = mobile_number(phone)
    if number is None:
        raise ValueError("not a mobile number")
    message = SmsMessage(
        phone=number,
        kind=Key(kind),
        text=text[:TEXT_LIMIT],
        created_by=created_by,
        subject=subject[:200],
        link=link[:200],
        dedupe_key=dedupe_key,
        next_attempt_at=timezone.now(),
    )
    if obj is not None:
        message.object_type = obj._meta.label_lower
        message.object_id = str(obj.pk)
    if dedupe_key:
        if SmsMessage.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        try:
            with transaction.atomic():  # a savepoint: a racing twin loses quietly
                message.save()
        except IntegrityError:
            return None
    else:
        message.save()
    transaction.on_commit(schedule)  # the worker sends it once this transaction has committed
    logger.info("短信已排队：%s（%s）", mask_phone(number), message.get_kind_display())
    return message


@transaction.atomic
def resend(*, actor: User, request: HttpRequest | None, message_id: int) -> SmsMessage:
    """Put a failed message back in the queue (for example after the gateway was fixed); audited."""
    message = SmsMessage.objects.select_for_update().get(pk=message_id)
    if message.status != Status.FAILED:
        raise ValidationError(f"该短信当前为“{message.status}”，只有发送失败的短信可以重新发送。", code="not_failed")
    before = {"状态": message.status, "失败原因": message.last_error}
    message.status = Status.PENDING
    message.attempts = 0
    message.next_attempt_at = timezone.now()
    message.save(update_fields=["status", "attempts", "next_attempt_at"])
    transaction.on_commit(schedule)
    audit.record(
        action=AuditEntry.Action.UPDATE,
        actor=actor,
        request=request,
        obj=message,
        before=before,
        after={"状态": message.status},
        detail="重新发送短信",
    )
    return message


# ---------------------------------------------------------------------------------------------
# Gateways


@dataclass(frozen=True)
class Result:
    """What the gateway said: sent (with the provider's receipt), or not (why, and whether final)."""

    ok: bool
    provider_id: str = ""
    error: str = ""
    final: bool = False


class Backend:
    label = ""

    def send(self, phone: str, text: str, *, reference: str) -> Result:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleBackend(Backend):
    """The log only (the number masked). ``sent`` keeps what was sent, for a look in a shell."""

    label = "console"
    sent: deque[tuple[str, str, str]] = deque(maxlen=100)  # the last ones, like Django's mail outbox

    def send(self, phone: str, text: str, *, reference: str) -> Result:
        logger.info("短信（未真正发送）%s 至 %s：%s", reference, mask_phone(phone), text)
        ConsoleBackend.sent.append((reference, phone, text))
        return Result(ok=True, provider_id=reference)


class FileBackend(ConsoleBackend):
    """Development: each message is a JSON line in ``var/sms/outbox.jsonl`` (the number masked)."""

    label = "file"

    def send(self, phone: str, text: str, *, reference: str) -> Result:
        folder = settings.VAR_DIR / "sms"
        folder.mkdir(parents=True, exist_ok=True)
        line = {"time": timezone.localtime().isoformat(), "reference": reference, "phone": mask_phone(phone)}
        with (folder / "outbox.jsonl").open("a", encoding="utf-8") as outbox:
            outbox.write(json.dumps({**line, "text": text}, ensure_ascii=False) + "\n")
        return super().send(phone, text, reference=reference)


class DisabledBackend(Backend):
    """No gateway configured: every message fails at once, saying so, so staff know to phone instead."""

    label = "disabled"

    def send(self, phone: str, text: str, *, reference: str) -> Result:
        return Result(
            ok=False, error="未配置短信通道（QINQING_SMS_BACKEND），短信未发出，请电话告知申请人。", final=True
        )


class HttpBackend(Backend):
    """A provider's HTTP API (the protocol is in this module's docstring)."""

    label = "http"

    def __init__(self, url: str | None = None, key: str | None = None, timeout: int | None = None) -> None:
        self.url = url or settings.SMS_URL
        self.key = key if key is not None else settings.SMS_KEY
        self.timeout = timeout or settings.SMS_TIMEOUT_SECONDS

    def send(self, phone: str, text: str, *, reference: str) -> Result:
        body = json.dumps({"phone": phone, "text": text, "reference": reference}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")  # noqa: S310 - the configured gateway's http(s) URL
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                payload = response.read(64 * 1024)
        except urllib.error.HTTPError as error:
            return Result(ok=False, error=f"短信网关返回 HTTP {error.code}，稍后重试。")
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            if isinstance(reason, TimeoutError) or "timed out" in str(reason):
                return Result(ok=False, error=f"短信网关 {self.timeout} 秒未响应，稍后重试。")
            return Result(ok=False, error=f"无法连接短信网关（{reason}），稍后重试。")
        try:
            answer = json.loads(payload.decode("utf-8")) if payload.strip() else {}
        except (UnicodeDecodeError, ValueError):
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        if answer.get("ok") is False:
            reason = answer.get("error") or answer.get("message") or "未说明原因"
            return Result(ok=False, error=f"短信网关拒绝发送：{reason}", final=True)
        receipt = answer.get("id") or answer.get("message_id") or ""
        return Result(ok=True, provider_id=str(receipt)[:64])


BACKENDS = {"file": FileBackend, "console": ConsoleBackend, "http": HttpBackend, "disabled": DisabledBackend}


def get_backend() -> Backend:
    name = settings.SMS_BACKEND
    cls = BACKENDS.get(name) or import_string(name)
    return cls()


# ---------------------------------------------------------------------------------------------
# Sending

LEASE = timedelta(minutes=5)  # a claimed message is not claimed again for this long (a crashed worker)


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed try: the base, then four times longer each time."""
    return timedelta(seconds=settings.SMS_RETRY_SECONDS * 4 ** max(attempts - 1, 0))


@dataclass
class Outcome:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"发送成功 {self.sent} 条，稍后重试 {self.retrying} 条，失败 {self.failed} 条"


def due(now: datetime | None = None):
    return SmsMessage.objects.filter(status=Status.PENDING, next_attempt_at__lte=now or timezone.now())


def next_due_at() -> datetime | None:
    """When the next waiting message is due (for scheduling the worker's next pass)."""
    return (
        SmsMessage.objects.filter(status=Status.PENDING)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )


def _claim(now: datetime, batch: int) -> list[int]:
    """Take up to ``batch`` due messages: count the try and hold them for ``LEASE`` (a second worker
    skips them), in a short transaction of its own."""
    with transaction.atomic():
        ids = list(
            due(now)
            .select_for_update(skip_locked=True)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:batch]
        )
        SmsMessage.objects.filter(pk__in=ids).update(attempts=F("attempts") + 1, next_attempt_at=now + LEASE)
    return ids


def connect_parts() -> None:
    """Import each app's ``notify`` module (as the admin finds ``admin`` modules), so the parts above
    listen to ``sms_pass`` and ``sms_finished`` in the worker too, which imports only this module."""
    autodiscover_modules("notify")


def send_due(*, now: datetime | None = None, backend: Backend | None = None, batch: int = 200) -> Outcome:
    """Send every message whose time has come; the gateway is called outside any transaction."""
    connect_parts()
    now = now or timezone.now()
    backend = backend or get_backend()
    outcome = Outcome()
    while True:
        ids = _claim(now, batch)
        for message in SmsMessage.objects.filter(pk__in=ids).order_by("pk"):
            try:
                result = backend.send(message.phone, message.text, reference=f"qq-{message.pk}")
            except Exception as error:  # a faulty backend must not stop the queue
                logger.exception("短信通道出错：%s", mask_phone(message.phone))
                result = Result(ok=False, error=f"短信通道出错：{error}")
            status = _record(message.pk, result, now, backend.label)
            if status == Status.SENT:
                outcome.sent += 1
            elif status == Status.FAILED:
                outcome.failed += 1
            else:
                outcome.retrying += 1
        if len(ids) < batch:
            return outcome


@transaction.atomic
def _record(message_id: int, result: Result, now: datetime, label: str) -> str:
    message = SmsMessage.objects.select_for_update().get(pk=message_id)
    if message.status != Status.PENDING:  # put right by hand meanwhile
        return message.status
    message.backend = label
    if result.ok:
        message.status = Status.SENT
        message.sent_at = timezone.now()
        message.provider_id = result.provider_id[:64]
        message.last_error = ""
        logger.info("短信已发送：%s", mask_phone(message.phone))
    else:
        message.last_error = mask_numbers_in(result.error)[:300]
        if result.final or message.attempts >= settings.SMS_MAX_ATTEMPTS:
            message.status = Status.FAILED
            logger.warning("短信发送失败（第 %s 次，不再重试）：%s", message.attempts, message.last_error)
        else:
            message.next_attempt_at = now + backoff(message.attempts)
            logger.info("短信发送失败（第 %s 次，稍后重试）：%s", message.attempts, message.last_error)
    message.save()
    if message.status != Status.PENDING:
        # in a savepoint: a receiver's error must not undo the outcome (the message would be sent again)
        try:
            with transaction.atomic():
                sms_finished.send(sender=SmsMessage, message=message)
        except Exception:
            logger.exception("短信 %s 的结果未能记入相关档案", message.pk)
    return message.status


# ---------------------------------------------------------------------------------------------
# The worker's passes

DAILY_AT = time(9, 0)


def run_pass() -> str:
    """One pass: the parts queue their periodic messages, what is due is sent, the next pass is set."""
    connect_parts()
    try:
        answers = sms_pass.send(sender=SmsMessage, today=timezone.localdate())
        queued = sum(answer for _, answer in answers if isinstance(answer, int))
        outcome = send_due()
    finally:  # even a failed pass leaves the next one queued: the chain never breaks
        schedule(at=next_pass_at())
    return f"新排入提醒 {queued} 条；{outcome}"


@task()
def send_queued() -> str:
    """The worker's pass (``run_pass``); it queues the next one itself."""
    return run_pass()


def next_pass_at(now: datetime | None = None) -> datetime:
    """The earliest of the next retry and 09:00 tomorrow."""
    now = now or timezone.now()
    tomorrow = timezone.make_aware(datetime.combine(timezone.localtime(now).date() + timedelta(days=1), DAILY_AT))
    retry = next_due_at()
    return max(min(tomorrow, retry), now) if retry else tomorrow


def schedule(at: datetime | None = None) -> None:
    """Have a pass queued for ``at`` (or now), unless one is already queued for that time or earlier:
    a busy day queues one pass, not one per message."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult, get_date_max

    now = timezone.now()
    at = at if at is not None and at > now else None
    waiting = DBTaskResult.objects.filter(task_path=send_queued.module_path, status=TaskResultStatus.READY).filter(
        Q(run_after=get_date_max()) | Q(run_after__lte=at or now)
    )
    if not waiting.exists():
        (send_queued.using(run_after=at) if at else send_queued).enqueue()
