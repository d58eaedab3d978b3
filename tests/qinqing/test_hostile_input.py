"""Hostile input to every form: a clear Chinese message, and nothing changed.

The fuzz-style walk opens every page of the demo hall as a seat that may use it, finds each POST
form on it, and sends it back as it was filled in, with every text field replaced by one hostile
value at a time: script tags, a NUL byte, other control characters, text garbled by a wrong
encoding, a direction override, overlong text. Each answer must name the problem in Chinese, and a
fingerprint of every table must be the same before and after.
"""

from __future__ import annotations

import hashlib
import io
import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, resolve

from qinqing import forms as qinqing_forms
from qinqing.models import User
from tests.auth import sign_in
from tests.qinqing.test_every_url import _TABLE, _parse
from tests.qinqing.walk import SEATS, an_exchange_item, page_for, upload_a_ledger

HOSTILE = {
    "script": "<script>alert(document.cookie)</script>",
    "nul": "正常文字\x00后半段",
    "control": "控制\x1b[31m字符",
    "encoding": "乱码\ufffd\ufffd文字",
    "bidi": "项目\u202e名称",
    "overlong": "很长" * 12_000,
}
# what each answer must say, when the hostile value went into text fields
MESSAGES = {
    "script": "不能包含 &lt; 或 &gt;",
    "nul": "不可见的控制字符",
    "control": "不可见的控制字符",
    "encoding": "编码有误",
    "bidi": "不可见的控制字符",
    "overlong": "最多",
}
# pages whose forms are not case data: signing in and out, and changing one's own password (any
# character may be in a password; it is checked by the password rules instead)
SKIPPED = {"login", "logout", "password_change", "progress_lookup"}
ERROR = re.compile(
    r'class="[^"]*(?:invalid-feedback|alert-danger|text-danger|errorlist)[^"]*"[^>]*>(?:\s*<[^>]+>)*\s*[^<]*[\u4e00-\u9fff]'
)


class _Forms(HTMLParser):
    """The POST forms of a page: their action and the values the page filled in."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._form = {"action": attrs.get("action") or "", "fields": {}, "text": set(), "multi": {}}
            self.forms.append(self._form)
        if self._form is None:
            return
        name = attrs.get("name")
        if tag == "input" and name and name != "csrfmiddlewaretoken":
            kind = (attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._form["multi"].setdefault(name, []).append(attrs.get("value", "on"))
            elif kind not in ("submit", "button", "file", "reset"):
                self._form["fields"][name] = attrs.get("value", "")
                if kind in ("text", "search", "tel", "email", "url"):
                    self._form["text"].add(name)
        elif tag == "textarea" and name:
            self._textarea = name
            self._form["fields"][name] = ""
            self._form["text"].add(name)
        elif tag == "select" and name:
            self._select = name
            self._form["fields"].setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self._form["fields"][self._select] = attrs.get("value", "")

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form["fields"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._form = None


def fingerprint() -> str:
    """A digest of every row of every table: any insert, update or delete changes it."""
    digest = hashlib.sha256()
    for model in sorted(apps.get_models(), key=lambda m: m._meta.label):
        if model._meta.label in ("qinqing.StaffSession", "axes.AccessLog"):
            continue
        for row in model._base_manager.order_by("pk").values_list():
            digest.update(repr(row).encode())
    return digest.hexdigest()


def _seat_for(codes: tuple[int, ...]) -> str | None:
    """The first signed-in seat that opens the page."""
    for seat, code in zip(SEATS, codes, strict=True):
        if seat != "anonymous" and code == 200:
            return seat
    return None


def _post_forms():
    """(page, seat, action URL, filled fields, text fields) for every POST form of every page."""
    clients: dict[str, Client] = {}
    for name, codes in _parse(_TABLE).items():
        seat = _seat_for(codes)
        if seat is None or name in SKIPPED:
            continue
        if seat not in clients:
            clients[seat] = Client()
            sign_in(clients[seat], User.objects.get(username=seat))
        page = page_for(name)
        response = clients[seat].get(page.url)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        parser = _Forms()
        parser.feed(response.content.decode())
        for form in parser.forms:
            action = form["action"] or page.url
            try:
                match = resolve(action.split("?")[0])
            except Resolver404:
                continue
            if match.view_name in SKIPPED:
                continue
            yield name, clients[seat], action, form


@pytest.mark.django_db
def test_hostile_values_in_every_form_are_refused_in_chinese_and_change_nothing():
    call_command("seed_demo", stdout=io.StringIO())
    upload_a_ledger()
    an_exchange_item()
    tried, failures, posts = set(), [], 0
    for name, client, action, form in _post_forms():
        targets = form["text"] or {key for key in form["fields"] if key not in ("version",)}
        if not targets:
            continue
        tried.add(resolve(action.split("?")[0]).view_name)
        for label, value in HOSTILE.items():
            data = {**form["fields"], **form["multi"], **dict.fromkeys(targets, value)}
            before = fingerprint()
            response = client.post(action, data, follow=True)
            after = fingerprint()
            page = response.content.decode()
            if response.status_code == 500:
                failures.append(f"{name} → {action} [{label}]: 500")
            elif before != after:
                failures.append(f"{name} → {action} [{label}]: the database changed")
            elif form["text"] and MESSAGES[label] not in page:
                failures.append(f"{name} → {action} [{label}]: “{MESSAGES[label]}” not shown ({response.status_code})")
            elif not ERROR.search(page):
                failures.append(f"{name} → {action} [{label}]: no Chinese error shown (status {response.status_code})")
            posts += 1
    assert not failures, "\n".join(failures)
    assert posts >= 120  # 6 values × every form of the hall (24 when this was written)
    # the walk reached the hall's main forms (a broken page parser would try nothing)
    for expected in (
        "projects:create",
        "projects:edit",
        "projects:consultation_create",
        "projects:feedback_create",
        "projects:matter_move",
        "windows:problem_create",
        "windows:meeting_create",
        "followups:notice_create",
        "followups:inspection_create",
        "followups:visit_record",
        "staff:create",
        "staff:department_create",
        "staff:calendar_edit",
    ):
        assert expected in tried, f"{expected} was not tried"


@pytest.mark.django_db
def test_bytes_that_are_not_utf8_are_refused(client_for):
    """A request whose body is not valid UTF-8 (a wrong encoding) is decoded with replacement
    characters, which every text field refuses with a message that names the likely cause."""
    client = client_for(qinqing_forms.Role.ADMIN)
    response = client.generic(
        "POST",
        "/staff/departments/new/",
        b"name=%C7%F8%BD%A8%CE%AF&kind=bureau",  # 区建委 in GBK, sent as if UTF-8
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert "可能是复制的文字编码有误" in response.content.decode()
    from qinqing.models import Department

    assert not Department.objects.filter(name__contains="\ufffd").exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("<b>粗体</b>", "不能包含 < 或 >"),
        ("甲\x00乙", "不可见的控制字符（第 2 个字符）"),
        ("甲\x07乙", "不可见的控制字符"),
        ("甲\ufffd", "编码有误"),
        ("甲\u202e乙", "不可见的控制字符"),
        ("一行\n两行", "只能填写一行"),
        ("长" * 501, "最多 500 个字符，当前 501 个"),
    ],
)
def test_every_text_field_is_guarded(value, message):
    """A field declared with no validators of its own gets them all from the form base class."""

    class Plain(qinqing_forms.StyledForm):
        text = qinqing_forms.forms.CharField(label="文字")
        secret = qinqing_forms.forms.CharField(label="密码", widget=qinqing_forms.forms.PasswordInput)

    form = Plain({"text": value, "secret": "<任意\x07字符>"})
    assert not form.is_valid()
    assert message in " ".join(form.errors["text"])
    assert "secret" not in form.errors  # passwords may hold any character


def test_text_areas_take_line_breaks_and_long_text_up_to_their_limit():
    class Notes(qinqing_forms.StyledForm):
        notes = qinqing_forms.forms.CharField(label="纪要", widget=qinqing_forms.forms.Textarea)

    assert Notes({"notes": "第一行\n第二行\t缩进"}).is_valid()
    assert Notes({"notes": "字" * qinqing_forms.TEXT_LIMIT}).is_valid()
    form = Notes({"notes": "字" * (qinqing_forms.TEXT_LIMIT + 1)})
    assert not form.is_valid()
    assert "最多 20000 个字符" in form.errors["notes"][0]
    assert Notes().fields["notes"].widget.attrs["maxlength"] == str(qinqing_forms.TEXT_LIMIT)
