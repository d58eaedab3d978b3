"""The ledger's filters: the page, its matter-level view and its exports all use these."""

from __future__ import annotations

from datetime import date

import django_filters
from django import forms
from django.db import connection
from django.db.models import Exists, F, OuterRef
from django.db.models.functions import Collate
from django.utils import timezone

from ledger import summary
from projects.models import Project, ProjectMatter, Stage
from projects.selectors import matter_scope, phone_scope
from qinqing.forms import StyledForm
from qinqing.masking import mask_numbers_in
from qinqing.models import Department, User
from qinqing.roles import Role

WARNING_CHOICES = [("逾期", "有逾期事项"), ("预警", "有预警事项"), ("正常", "均正常")]

# the ICU collation that sorts Chinese by pinyin (migration qinqing 0010); PostgreSQL only
PINYIN_COLLATION = "zh_pinyin"
# the ledger's orders: the parameter (a leading - for descending) → the project field it sorts on
ORDERS = {
    "registered": "registered_on",
    "name": "name",
    "stage": "current_stage__number",
}
ORDER_CHOICES = [
    ("-registered", "登记日期（新在前）"),
    ("registered", "登记日期（早在前）"),
    ("name", "项目名称（按拼音）"),
    ("-name", "项目名称（按拼音倒序）"),
    ("stage", "所处阶段（从前到后）"),
    ("-stage", "所处阶段（从后到前）"),
]
DEFAULT_ORDER = "-registered"


def project_ordering(params: list[str] | str | None, *, prefix: str = "") -> list:
    """The ledger's order as ``order_by`` arguments, on the project's fields or, with ``prefix``
    (``"project__"``), on those of a row that belongs to a project: the matters sheet lists its
    projects in exactly the order of the ledger sheet. Names sort by pinyin on PostgreSQL (an ICU
    collation); SQLite has none and keeps the characters' order. The id breaks ties, so paging and
    repeated exports list every project exactly once, in the same order."""
    if isinstance(params, str):
        params = [params]
    ordering = []
    for param in [p for p in params or () if p] or [DEFAULT_ORDER]:
        descending = param.startswith("-")
        field = ORDERS.get(param.lstrip("-"))
        if field is None:
            continue
        expression = F(prefix + field)
        if field == "name" and connection.vendor == "postgresql":
            expression = Collate(expression, PINYIN_COLLATION)
        ordering.append(expression.desc() if descending else expression.asc())
    return [*ordering, F(prefix + "id").desc()]


class LedgerOrderingFilter(django_filters.OrderingFilter):
    """The ledger's 排序: Chinese labels that say which way, names by pinyin (``project_ordering``)."""

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.order_by(*project_ordering(value))


class LedgerForm(StyledForm):
    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("registered_from"), cleaned.get("registered_to")
        if start and end and end < start:
            self.add_error("registered_to", "结束日期不能早于开始日期。")
        return cleaned


class LedgerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="查找", method="search")
    stage = django_filters.ModelChoiceFilter(
        label="所处阶段", field_name="current_stage", queryset=Stage.objects.all(), empty_label="全部阶段"
    )
    status = django_filters.ChoiceFilter(label="项目状态", choices=Project.Status.choices, empty_label="全部状态")
    specialist = django_filters.ModelChoiceFilter(
        label="帮办专员", queryset=User.objects.none(), empty_label="全部专员"
    )
    unit = django_filters.ModelChoiceFilter(
        label="责任单位", queryset=Department.objects.all(), method="filter_unit", empty_label="全部单位"
    )
    investment_type = django_filters.ChoiceFilter(
        label="投资类型", choices=Project.InvestmentType.choices, empty_label="全部类型"
    )
    is_key = django_filters.BooleanFilter(
        label="重点项目",
        widget=forms.Select(choices=[("", "全部"), ("true", "是"), ("false", "否")]),
    )
    warning = django_filters.ChoiceFilter(
        label="预警状态", choices=WARNING_CHOICES, method="filter_warning", empty_label="全部"
    )
    registered_from = django_filters.DateFilter(
        label="登记日期从",
        field_name="registered_on",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    registered_to = django_filters.DateFilter(
        label="至", field_name="registered_on", lookup_expr="lte", widget=forms.DateInput(attrs={"type": "date"})
    )
    order = LedgerOrderingFilter(label="排序", choices=ORDER_CHOICES, empty_label=None)

    class Meta:
        model = Project
        fields: list[str] = []
        form = LedgerForm

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.filters["specialist"].queryset = (
            User.objects.filter(groups__name=Role.SPECIALIST).order_by("display_name").distinct()
        )
        self.filters["specialist"].field.label_from_instance = lambda user: user.name

    def search(self, queryset, name, value):
        return queryset.search(value, phone_scope=phone_scope(self.user))

    def _matters(self):
        """The project's matters the user may see: the filters judge by what the rows show."""
        matters = ProjectMatter.objects.filter(project=OuterRef("pk"))
        scope = matter_scope(self.user) if self.user is not None else None
        return matters if scope is None else matters.filter(scope)

    def filter_unit(self, queryset, name, value):
        return queryset.filter(Exists(self._matters().filter(unit=value)))

    def filter_warning(self, queryset, name, value):
        today = timezone.localdate()
        open_matters = self._matters().filter(status__in=ProjectMatter.OPEN_STATUSES)
        overdue = Exists(open_matters.filter(due_on__lt=today))
        warning = Exists(open_matters.filter(warn_on__lte=today, due_on__gte=today))
        if value == "逾期":
            return queryset.filter(overdue)
        if value == "预警":
            return queryset.filter(warning & ~overdue)
        return queryset.filter(~overdue & ~warning)

    def ordering(self, *, prefix: str = "") -> list:
        """The chosen order as ``order_by`` arguments (see ``project_ordering``)."""
        chosen = self.form.cleaned_data.get("order") if self.is_bound and self.form.is_valid() else None
        return project_ordering(chosen, prefix=prefix)

    def describe(self) -> str:
        """The filter in words, for the page and the exports' title block."""
        if not self.is_bound or not self.form.is_valid():
            return "全部项目"
        parts = []
        for name, value in self.form.cleaned_data.items():
            if value in (None, "") or name == "order":
                continue
            label = self.filters[name].label
            if isinstance(value, bool):
                value = "是" if value else "否"
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            elif name == "warning":
                value = dict(WARNING_CHOICES)[value]
            elif isinstance(value, User):
                value = value.name
            elif name == "q":
                # a phone number typed into the search is not repeated in full in titles, archives or
                # the log; only the typed text is masked, so a chosen date (2026-12-31) stays readable
                value = mask_numbers_in(value)
            parts.append(f"{label}：{value}")
        return "；".join(parts) or "全部项目"


EARLIEST = date(2000, 1, 1)


class PeriodForm(StyledForm):
    """The weekly summary's period: an ISO week (2026-W47), or a range of days; empty means last week."""

    week = forms.CharField(label="周次", required=False, max_length=8, widget=forms.TextInput(attrs={"type": "week"}))
    start = forms.DateField(label="开始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="结束日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()

    def clean_week(self):
        value = self.cleaned_data["week"].strip().upper()
        if not value:
            return None
        year, _, week = value.partition("-W")
        try:
            return summary.Period.week(int(year), int(week))
        except ValueError:
            raise forms.ValidationError("周次格式应为 2026-W47（年份-W周数），且该周必须存在。") from None

    def clean(self):
        cleaned = super().clean()
        start, end, week = cleaned.get("start"), cleaned.get("end"), cleaned.get("week")
        if self.errors:
            return cleaned
        if week is not None:
            period = week
        elif start or end:
            if not (start and end):
                raise forms.ValidationError("按日期范围查询时，请同时填写开始日期和结束日期。")
            if end < start:
                self.add_error("end", "结束日期不能早于开始日期。")
                return cleaned
            if (end - start).days + 1 > summary.MAX_RANGE_DAYS:
                self.add_error("end", f"日期范围最长 {summary.MAX_RANGE_DAYS} 天，请缩短。")
                return cleaned
            period = summary.Period.of(start, end)
        else:
            period = summary.Period.last_week(self.today)
        if period.start > self.today:
            raise forms.ValidationError("所选期间尚未开始，没有可统计的数据。")
        if period.start < EARLIEST:
            raise forms.ValidationError(f"只能统计 {EARLIEST.year} 年以后的期间。")
        cleaned["period"] = period
        return cleaned


def filtered_ledger(user, params) -> tuple[LedgerFilter, object | None]:
    """The ledger's filter over ``user``'s scope, from query parameters (a request's GET, or those a
    background export kept): ``(filterset, projects)``, or ``(filterset, None)`` if the filter is invalid.
    The page, its exports and the background export all filter through here."""
    from projects import selectors as project_selectors

    filterset = LedgerFilter(params or None, queryset=project_selectors.projects_for(user), user=user)
    if filterset.is_bound and not filterset.is_valid():
        return filterset, None
    # a dossier merged into another is a duplicate: its matters and consultations are counted on the kept one
    filtered = filterset.qs.exclude(status=Project.Status.MERGED)
    return filterset, filtered.order_by(*filterset.ordering())
