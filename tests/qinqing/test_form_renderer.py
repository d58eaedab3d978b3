"""One form renderer for every form (FORM_RENDERER = qinqing.forms.FormRenderer, templates/django/forms/).

A field with errors is marked ``is-invalid`` and ``aria-invalid="true"``; its ``aria-describedby`` names the
rendered help text and error, and those ids exist on the page; the errors that belong to no field are in a
summary that the focus script (static/qinqing/forms.js) can find. The script is served and loaded by every
page; the hand-kept field templates are gone."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.test import Client
from django.urls import reverse

from qinqing.forms import DepartmentForm, FormRenderer, StyledForm, StyledFormMixin
from qinqing.roles import Role
from tests.factories import MatterFactory, StageFactory

CONTROLS = ("input", "select", "textarea")


class _Page(HTMLParser):
    """Every element's attributes, in order, with the fieldset it sits in (aria-describedby of a group)."""

    def __init__(self, html: str):
        super().__init__()
        self.elements: list[tuple[str, dict, dict | None]] = []
        self.ids: dict[str, str] = {}
        self._fieldsets: list[dict] = []
        self._text_of: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        self.elements.append((tag, attrs, self._fieldsets[-1] if self._fieldsets else None))
        if tag == "fieldset":
            self._fieldsets.append(attrs)
        if attrs.get("id"):
            self.ids.setdefault(attrs["id"], "")
            self._text_of.append(attrs["id"])
        elif tag not in ("input", "br", "img", "meta", "link", "hr"):
            self._text_of.append("")

    def handle_endtag(self, tag):
        if tag == "fieldset" and self._fieldsets:
            self._fieldsets.pop()
        if tag not in ("input", "br", "img", "meta", "link", "hr") and self._text_of:
            self._text_of.pop()

    def handle_data(self, data):
        for element_id in self._text_of:
            if element_id:
                self.ids[element_id] += data

    def invalid_controls(self) -> list[tuple[str, dict, dict | None]]:
        return [e for e in self.elements if e[0] in CONTROLS and "is-invalid" in e[1].get("class", "").split()]

    def described_by(self, element: tuple[str, dict, dict | None]) -> list[str]:
        _, attrs, fieldset = element
        value = attrs.get("aria-describedby") or (fieldset or {}).get("aria-describedby", "")
        return value.split()


def _check_page(html: str, *, expect_help: bool = False) -> _Page:
    """Every invalid control: aria-invalid, and described by an error that is on the page and says something
    in Chinese; every aria-describedby on the page names ids that exist."""
    page = _Page(html)
    invalid = page.invalid_controls()
    assert invalid, "no field is marked is-invalid"
    for element in invalid:
        tag, attrs, _ = element
        assert attrs.get("aria-invalid") == "true", (tag, attrs)
        ids = page.described_by(element)
        errors = [i for i in ids if i.endswith("_error")]
        assert errors, (tag, attrs)
        for error_id in errors:
            assert error_id in page.ids, error_id
            assert any("\u4e00" <= c <= "\u9fff" for c in page.ids[error_id]), page.ids[error_id]
    for _, attrs, _ in page.elements:
        for ref in (attrs.get("aria-describedby") or "").split():
            assert ref in page.ids, f"aria-describedby names #{ref}, which is not on the page"
    if expect_help:
        helps = [i for e in invalid for i in page.described_by(e) if i.endswith("_helptext")]
        assert helps
        assert all(page.ids[i].strip() for i in helps)
    return page


# --- the renderer ------------------------------------------------------------------------------------


def test_the_renderer_is_the_one_in_settings():
    assert settings.FORM_RENDERER == "qinqing.forms.FormRenderer"
    assert StyledForm().renderer.__class__ is FormRenderer


def test_is_invalid_follows_the_bound_fields_errors():
    form = DepartmentForm(data={"name": "住建委", "kind": DepartmentForm.base_fields["kind"].initial})
    assert form.is_valid(), form.errors
    assert "is-invalid" not in form.render()
    # an error added after validation (a service's refusal) marks the field, and only that field
    form.add_error("name", "该单位名称已存在。")
    html = form["name"].as_field_group()
    assert 'class="form-control is-invalid"' in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_name_error"' in html
    assert 'id="id_name_error"' in html
    assert "该单位名称已存在。" in html
    assert "is-invalid" not in form["contact_phone"].as_field_group()


def test_every_kind_of_widget_is_marked():
    class Everything(StyledFormMixin, forms.Form):
        text = forms.CharField(label="文字", help_text="说明文字")
        choice = forms.ChoiceField(label="下拉", choices=[("", "—"), ("a", "甲")])
        many = forms.MultipleChoiceField(
            label="多选", choices=[("a", "甲"), ("b", "乙")], widget=forms.CheckboxSelectMultiple
        )
        one = forms.ChoiceField(label="单选", choices=[("a", "甲"), ("b", "乙")], widget=forms.RadioSelect)
        agree = forms.BooleanField(label="同意")
        day = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}))

    html = Everything(data={}).render()
    page = _check_page(html, expect_help=True)
    names = {e[1].get("name") for e in page.invalid_controls()}
    assert names == {"text", "choice", "many", "one", "agree", "day"}
    # the label, the required mark, the help text tied to its field
    assert (
        '<label class="form-label" for="id_text">文字</label><span class="text-danger ms-1" aria-hidden="true">*</span>'
        in html
    )
    assert 'aria-describedby="id_text_helptext id_text_error"' in html
    assert '<div class="form-text" id="id_text_helptext">说明文字</div>' in html


def test_errors_of_no_field_are_in_a_summary():
    class Pair(StyledForm):
        version = forms.IntegerField(widget=forms.HiddenInput)
        name = forms.CharField(label="名称")

        def clean(self):
            raise forms.ValidationError("该记录已被他人修改，请刷新后重试。")

    html = Pair(data={"name": "甲", "version": "x"}).render()
    summary = html[html.index("qq-error-summary") :]
    assert 'role="alert"' in html
    assert 'tabindex="-1"' in html
    assert "该记录已被他人修改" in summary
    assert "version" in summary or "隐藏字段" in summary  # a hidden field's error is not lost


# --- real pages ---------------------------------------------------------------------------------


def test_staff_form_error_page(client_for):
    client = client_for(Role.ADMIN)
    response = client.post(reverse("staff:create"), {"username": "", "display_name": "", "phone": "abc"})
    assert response.status_code == 200
    html = response.content.decode()
    page = _check_page(html)
    assert {e[1].get("name") for e in page.invalid_controls()} >= {"username", "display_name", "roles"}


def test_calendar_form_error_page_ties_help_and_error(client_for):
    client = client_for(Role.ADMIN)
    url = reverse("staff:calendar_edit", args=[2027])
    assert 'aria-describedby="id_days_helptext"' in client.get(url).content.decode()
    response = client.post(url, {"source": "", "days": "不是日期 休"})
    assert response.status_code == 200
    page = _check_page(response.content.decode(), expect_help=True)
    days = next(e for e in page.invalid_controls() if e[1].get("name") == "days")
    assert page.described_by(days) == ["id_days_helptext", "id_days_error"]


def test_consultation_form_error_page_with_the_matter_picker(client_for):
    stage = StageFactory(number=1, name="立项用地规划许可阶段")
    matters = [MatterFactory(stage=stage, name=f"测试事项{n}") for n in range(3)]
    client = client_for(Role.SPECIALIST)
    response = client.post(
        reverse("projects:consultation_create"),
        {"visited_at": "", "kind": "咨询", "visitor_name": "", "question": "", "matters": [matters[1].pk]},
    )
    assert response.status_code == 200
    html = response.content.decode()
    _check_page(html)
    # the ticked matter stays visible with the count, and its stage is open
    picked = html[html.index('data-testid="matter-picked"') :]
    assert "已选 <strong data-qq-picked-count>1</strong> 项" in picked
    assert "测试事项1" in picked[: picked.index("</ul>")]
    assert "测试事项0" not in picked[: picked.index("</ul>")]
    assert '<details class="mb-1" data-qq-stage open>' in html
    assert "，已选 1 项" in html


def test_public_lookup_error_page(db):
    response = Client().post(reverse("progress_lookup"), {"code": "", "phone_last4": "12"})
    page = _check_page(response.content.decode(), expect_help=True)
    assert {e[1].get("name") for e in page.invalid_controls()} == {"code", "phone_last4"}


# --- the focus script ---------------------------------------------------------------------------


def test_focus_script_is_served_and_loaded_by_every_page(client_for):
    script = Path(settings.BASE_DIR, "static", "qinqing", "forms.js").read_text(encoding="utf-8")
    response = Client().get("/static/qinqing/forms.js")
    assert response.status_code == 200
    assert b"".join(response.streaming_content if response.streaming else [response.content]).decode() == script
    assert "javascript" in response["Content-Type"]
    for client, url in (
        (Client(), reverse("login")),
        (Client(), reverse("progress_lookup")),
        (client_for(Role.ADMIN), reverse("staff:create")),
    ):
        html = client.get(url).content.decode()
        assert '<script src="/static/qinqing/forms.js" defer></script>' in html, url
    # no inline script anywhere on those pages (the CSP forbids it): the script is a file
    assert ".is-invalid" in script
    assert "scrollIntoView" in script
    assert "focus(" in script


# --- no hand-kept field templates ----------------------------------------------------------------


OLD_TEMPLATES = (
    "templates/form_fields.html",
    "projects/templates/projects/_field.html",
    "followups/templates/followups/_visit_field.html",
    "followups/templates/followups/_escalation_field.html",
)


def _include_name(path: str) -> str:
    """The name a template includes it by: "form_fields.html", "projects/_field.html"."""
    return f'"{path.split("templates/", 2)[-1]}"'


def test_no_hand_kept_field_templates_remain():
    base = Path(settings.BASE_DIR)
    assert [p for p in OLD_TEMPLATES if (base / p).exists()] == []
    users = [
        str(path.relative_to(base))
        for path in base.glob("*/templates/**/*.html")
        if any(_include_name(old) in path.read_text(encoding="utf-8") for old in OLD_TEMPLATES)
        and ".venv" not in path.parts
    ]
    assert users == []


@pytest.mark.parametrize("name", ["field.html", "div.html"])
def test_renderer_templates_are_the_projects(name):
    from django.template.loader import get_template

    template = get_template(f"django/forms/{name}")
    assert Path(template.origin.name).is_relative_to(Path(settings.BASE_DIR, "templates"))
