"""SMS, the ground: templates and their checks, the queue, the HTTP gateway against a real server
started by the test (retries, timeouts, a provider's refusal), and the two staff pages."""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from qinqing import sms
from qinqing.models import AuditEntry, SmsMessage, SmsTemplate
from qinqing.roles import Role
from tests.sms_gateway import serve

ROOT = Path(__file__).resolve().parents[2]
PHONE = "13800001234"


@pytest.fixture
def gateway(settings):
    """A real HTTP gateway on 127.0.0.1, and the settings that send through it."""
    yield from serve(settings)


Status = SmsMessage.Status


def _queue(phone: str = PHONE, text: str = "【江北区亲清帮办】您好，测试短信。", **kwargs) -> SmsMessage:
    return sms.queue(phone=phone, kind=SmsTemplate.Key.ACCEPTED, text=text, created_by=None, **kwargs)


# --- templates ---------------------------------------------------------------------------------------


def test_migration_0009_creates_the_four_default_templates(db):
    from importlib import import_module

    from django.apps import apps

    SmsTemplate.objects.all().delete()
    import_module("qinqing.migrations.0009_sms").create_templates(apps, None)
    templates = {t.key: t for t in SmsTemplate.objects.all()}
    assert set(templates) == set(SmsTemplate.Key.values)
    for template in templates.values():
        assert template.text.startswith("【江北区亲清帮办】")
        assert sms.template_errors(template.key, template.text) == []
    assert "{材料}" in templates["supplement"].text
    assert "{到期日}" in templates["accepted"].text
    # the code's fallback (after a test flush) says the same
    assert {key: (t.name, t.text) for key, t in templates.items()} == sms.DEFAULT_TEMPLATES


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("【江北区亲清帮办】{项目编号}已受理。", "未知的占位符：{项目编号}。本类短信可用：{项目名称}"),
        ("【江北区亲清帮办】{项目名称}需补正{材料}。", "未知的占位符：{材料}"),  # not in an acceptance
        ("【江北区亲清帮办】{项目名称已受理。", "大括号不成对"),
        ("{项目名称}已受理。", "短信须带签名"),
    ],
)
def test_template_errors_are_in_chinese(text, message):
    errors = sms.template_errors(SmsTemplate.Key.ACCEPTED, text)
    assert any(message in error for error in errors), errors


def test_render_fills_placeholders_and_keeps_unknown_ones():
    assert (
        sms.render("{项目名称}：{事项}{别的}", {"项目名称": "滨江花园", "事项": "施工许可"})
        == "滨江花园：施工许可{别的}"
    )
    assert len(sms.render("x" * 600, {})) == sms.TEXT_LIMIT
    assert sms.segments("字" * 70) == 1
    assert sms.segments("字" * 71) == 2


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("13800001234", PHONE),
        ("138 0000 1234", PHONE),
        ("+86 138-0000-1234", PHONE),
        ("023-67891234", None),
        ("", None),
    ],
)
def test_only_mobile_numbers_get_sms(raw, number):
    assert sms.mobile_number(raw) == number


# --- the queue and the gateway ---------------------------------------------------------------------


def test_queue_refuses_a_landline_and_a_repeated_dedupe_key(db):
    with pytest.raises(ValueError, match="mobile"):
        _queue(phone="023-67891234")
    first = _queue(dedupe_key="reminder:1:20260226")
    assert first is not None
    assert _queue(dedupe_key="reminder:1:20260226") is None
    assert SmsMessage.objects.count() == 1
    assert str(first) == "短信 138****1234（受理）"  # what the audit log and admin show


def test_the_http_gateway_posts_json_with_the_key_and_keeps_the_receipt(db, gateway):
    gateway.answer(200, {"ok": True, "id": "SM-20261203-0001"})
    message = _queue()
    outcome = sms.send_due()
    assert (outcome.sent, outcome.retrying, outcome.failed) == (1, 0, 0)
    [request] = gateway.received
    assert request.path == "/api/send"
    assert request.headers["Authorization"] == "Bearer test-key"
    assert request.headers["Content-Type"].startswith("application/json")
    assert request.body == {"phone": PHONE, "text": message.text, "reference": f"qq-{message.pk}"}
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.provider_id == "SM-20261203-0001"
    assert message.backend == "http"
    assert message.attempts == 1
    assert message.sent_at is not None


def test_a_500_is_retried_later_and_then_sent(db, gateway):
    gateway.answer(500, {"error": "busy"})
    gateway.answer(200, {"ok": True, "id": "SM-2"})
    message = _queue()
    now = timezone.now()
    assert sms.send_due(now=now).retrying == 1
    message.refresh_from_db()
    assert message.status == Status.PENDING
    assert message.attempts == 1
    assert "HTTP 500" in message.last_error
    assert message.next_attempt_at == now + timedelta(seconds=60)
    # not yet due: nothing is sent
    assert sms.send_due(now=now + timedelta(seconds=30)).sent == 0
    assert len(gateway.received) == 1
    assert sms.send_due(now=now + timedelta(seconds=61)).sent == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.provider_id, message.last_error) == (Status.SENT, 2, "SM-2", "")
    # the same reference on both tries, so the provider can tell a retry from a new message
    assert [r.body["reference"] for r in gateway.received] == [f"qq-{message.pk}"] * 2


def test_the_delay_grows_fourfold_and_the_last_try_fails_for_good(db, gateway):
    received = []
    sms.sms_finished.connect(
        lambda sender, message, **kw: received.append(message.status), weak=False, dispatch_uid="t"
    )
    try:
        for _ in range(3):
            gateway.answer(503, {})
        message = _queue()
        now = timezone.now()
        sms.send_due(now=now)
        message.refresh_from_db()
        assert message.next_attempt_at == now + timedelta(seconds=60)
        now = message.next_attempt_at
        sms.send_due(now=now)
        message.refresh_from_db()
        assert message.next_attempt_at == now + timedelta(seconds=240)
        assert received == []
        assert sms.send_due(now=message.next_attempt_at).failed == 1
    finally:
        sms.sms_finished.disconnect(dispatch_uid="t")
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.attempts == 3
    assert "HTTP 503" in message.last_error
    assert received == [Status.FAILED]
    assert sms.send_due(now=timezone.now() + timedelta(days=1)).failed == 0  # a failed message stays failed


def test_a_providers_refusal_is_final_at_once_and_its_reason_is_masked(db, gateway):
    gateway.answer(200, {"ok": False, "error": "号码13800001234为空号"})
    message = _queue()
    assert sms.send_due().failed == 1
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.attempts == 1
    assert message.last_error == "短信网关拒绝发送：号码138****1234为空号"


def test_a_timeout_and_a_refused_connection_are_retried(db, gateway, settings):
    gateway.answer(200, {"ok": True}, delay=2)  # longer than the 1-second timeout
    message = _queue()
    assert sms.send_due().retrying == 1
    message.refresh_from_db()
    assert message.status == Status.PENDING
    assert "1 秒未响应" in message.last_error

    settings.SMS_URL = "http://127.0.0.1:9/nothing-listens-here"
    assert sms.send_due(now=message.next_attempt_at).retrying == 1
    message.refresh_from_db()
    assert "无法连接短信网关" in message.last_error
    assert message.attempts == 2


def test_a_claimed_message_is_not_sent_twice(db, gateway):
    message = _queue()
    now = timezone.now()
    assert sms._claim(now, 10) == [message.pk]
    assert sms._claim(now, 10) == []  # held for the lease
    assert sms.send_due(now=now).sent == 0
    assert gateway.received == []


def test_no_full_phone_number_in_the_log(db, caplog):
    caplog.set_level(logging.INFO)
    _queue()
    sms.send_due()
    assert "138****1234" in caplog.text
    assert PHONE not in caplog.text


def test_the_disabled_gateway_fails_saying_why(db, settings):
    settings.SMS_BACKEND = "disabled"
    message = _queue()
    assert sms.send_due().failed == 1
    message.refresh_from_db()
    assert "未配置短信通道" in message.last_error


def test_the_file_gateway_writes_the_outbox_with_the_number_masked(db, settings, tmp_path):
    settings.SMS_BACKEND = "file"
    settings.VAR_DIR = tmp_path
    _queue()
    assert sms.send_due().sent == 1
    line = (tmp_path / "sms" / "outbox.jsonl").read_text(encoding="utf-8")
    assert "138****1234" in line
    assert PHONE not in line
    assert "测试短信" in line


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"QINQING_SMS_BACKEND": "carrier-pigeon"}, "QINQING_SMS_BACKEND"),
        ({"QINQING_SMS_BACKEND": "http"}, "QINQING_SMS_URL"),
    ],
)
def test_a_bad_gateway_setting_stops_the_start_with_a_message(env, message):
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "QINQING_ENV": "development", "QINQING_VAR_DIR": "/tmp/qq-sms-check", **env},  # noqa: S108
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert message in result.stdout + result.stderr


# --- the pages ------------------------------------------------------------------------------------


def _urls(db_message: SmsMessage | None = None) -> dict[str, str]:
    template = sms.template_for("accepted")
    message = db_message or _queue()
    return {
        "list": reverse("sms:list"),
        "templates": reverse("sms:templates"),
        "edit": reverse("sms:template_edit", args=[template.pk]),
        "resend": reverse("sms:resend", args=[message.pk]),
    }


def test_anonymous_visitors_are_sent_to_the_login_page(client, db):
    for url in _urls().values():
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.ADMIN, {"list": 200, "templates": 200, "edit": 200}),
        (Role.OFFICE, {"list": 200, "templates": 403, "edit": 403}),
        (Role.SPECIALIST, {"list": 403, "templates": 403, "edit": 403}),
        (Role.AUDITOR, {"list": 403, "templates": 403, "edit": 403}),
    ],
)
def test_who_may_open_which_page(client_for, role, expected):
    client = client_for(role)
    urls = _urls()
    observed = {name: client.get(urls[name]).status_code for name in expected}
    assert observed == expected
    if 403 in expected.values():
        assert AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS_DENIED, actor=client.user).exists()


def test_wrong_methods_are_refused(client_for):
    admin = client_for(Role.ADMIN)
    urls = _urls()
    assert admin.get(urls["resend"]).status_code == 405
    assert admin.post(urls["list"]).status_code == 405
    assert admin.post(urls["templates"]).status_code == 405
    assert admin.put(urls["edit"]).status_code == 405


def test_the_message_list_masks_phones_and_filters(client_for):
    office = client_for(Role.OFFICE)
    sent = _queue(text="【江北区亲清帮办】已发出的一条。")
    _queue(phone="13900005678", text="【江北区亲清帮办】还在排队的一条。")
    sms.send_due(backend=sms.ConsoleBackend())  # both sent
    SmsMessage.objects.exclude(pk=sent.pk).update(status=Status.PENDING, sent_at=None)
    page = office.get(reverse("sms:list")).content.decode()
    assert "138****1234" in page
    assert "139****5678" in page
    assert PHONE not in page
    assert "13900005678" not in page
    assert "已发送（1）" in page
    assert "待发送（1）" in page
    filtered = office.get(reverse("sms:list"), {"status": "待发送"}).content.decode()
    assert "还在排队的一条" in filtered
    assert "已发出的一条" not in filtered
    assert "no-store" in office.get(reverse("sms:list")).get("Cache-Control", "")


def test_a_failed_message_can_be_sent_again(client_for, settings):
    office = client_for(Role.OFFICE)
    settings.SMS_BACKEND = "disabled"
    message = _queue()
    sms.send_due()
    response = office.post(reverse("sms:resend", args=[message.pk]), follow=True)
    assert "已重新排队" in response.content.decode()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.PENDING, 0)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE, object_type="qinqing.smsmessage")
    assert entry.actor == office.user
    assert entry.object_repr == "短信 138****1234（受理）"
    # only a failed one
    response = office.post(reverse("sms:resend", args=[message.pk]), follow=True)
    assert "只有发送失败的短信可以重新发送" in response.content.decode()


def _edit(client, template: SmsTemplate, **changes):
    data = {"name": template.name, "text": template.text, "is_active": "on", "version": template.version}
    data.update(changes)
    return client.post(reverse("sms:template_edit", args=[template.pk]), data)


def test_the_administrator_edits_a_template_with_history_and_audit(client_for):
    admin = client_for(Role.ADMIN)
    template = sms.template_for("supplement")
    new_text = "【江北区亲清帮办】{项目名称}的{事项}请补正：{材料}。咨询{专员电话}。"
    response = _edit(admin, template, text=new_text)
    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.text, template.version, template.updated_by) == (new_text, 1, admin.user)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE, object_type="qinqing.smstemplate")
    assert entry.after["短信内容"] == new_text
    assert entry.actor == admin.user
    record = template.history.first()
    assert record.history_user == admin.user
    assert record.history_change_reason == "修改短信模板"
    page = admin.get(reverse("sms:template_edit", args=[template.pk])).content.decode()
    assert "修改短信模板" in page
    listing = admin.get(reverse("sms:templates")).content.decode()
    assert "总平面图（加盖设计单位出图章）1份" in listing  # the preview fills the placeholders


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("【江北区亲清帮办】{项目编号}请补正。", "未知的占位符：{项目编号}"),
        ("【江北区亲清帮办】{项目名称请补正。", "大括号不成对"),
        ("{项目名称}请补正{材料}。", "短信须带签名"),
        ("【江北区亲清帮办】<script>alert(1)</script>", "不能包含"),
        ("", "这个字段是必填项"),
        ("【江北区亲清帮办】" + "字" * 300, "最多 300 个字符"),
    ],
)
def test_a_bad_template_is_refused_in_chinese_and_nothing_saved(client_for, text, message):
    admin = client_for(Role.ADMIN)
    template = sms.template_for("supplement")
    before = (template.text, template.version, template.history.count())
    response = _edit(admin, template, text=text)
    assert response.status_code == 200
    assert message in response.content.decode()
    template.refresh_from_db()
    assert (template.text, template.version, template.history.count()) == before
    assert not AuditEntry.objects.filter(object_type="qinqing.smstemplate").exists()


def test_a_stale_template_form_is_refused(client_for):
    admin = client_for(Role.ADMIN)
    template = sms.template_for("done")
    sms.template_update(
        actor=admin.user,
        request=None,
        template_id=template.pk,
        version=0,
        name="办结通知",
        text=template.text,
        is_active=True,
    )
    response = _edit(admin, template, version=0, name="办结")
    assert response.status_code == 200
    assert "该记录已被他人修改" in response.content.decode()
    template.refresh_from_db()
    assert (template.name, template.version) == ("办结通知", 1)


def test_the_service_refuses_a_bad_template_too(db, admin_client_):
    template = sms.template_for("reminder")
    with pytest.raises(ValidationError, match="未知的占位符"):
        sms.template_update(
            actor=admin_client_.user,
            request=None,
            template_id=template.pk,
            version=0,
            name="x",
            text="【江北】{办结日期}",
            is_active=True,
        )


def test_a_template_missing_after_a_flush_is_created_again(db):
    SmsTemplate.objects.filter(key="done").delete()
    assert sms.template_for("done").text == sms.DEFAULT_TEMPLATES["done"][1]
