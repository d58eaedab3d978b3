from __future__ import annotations

import ipaddress

import django_filters
from django import forms
from django.db.models import Q

from qinqing.audit import object_types
from qinqing.forms import StyledForm
from qinqing.masking import mask_numbers_in
from qinqing.models import AuditEntry, Department, User
from qinqing.roles import Role


class StaffFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="搜索", method="search")
    role = django_filters.ChoiceFilter(
        label="角色", choices=Role.choices, field_name="groups__name", empty_label="全部角色"
    )
    department = django_filters.ModelChoiceFilter(
        label="单位", queryset=Department.objects.all(), empty_label="全部单位"
    )
    status = django_filters.ChoiceFilter(
        label="状态",
        choices=[("active", "在用"), ("disabled", "停用")],
        method="filter_status",
        empty_label="全部状态",
    )

    class Meta:
        model = User
        fields: list[str] = []
        form = StyledForm

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(username__icontains=value) | Q(display_name__icontains=value))

    def filter_status(self, queryset, name, value):
        return queryset.filter(is_active=(value == "active"))


def _flat(choices):
    """Choices with their groups (``(group, [(value, label), …])``) opened."""
    for value, label in choices:
        if isinstance(label, list | tuple):
            yield from label
        else:
            yield value, label


class AuditFilterForm(StyledForm):
    def clean_ip(self):
        value = (self.cleaned_data.get("ip") or "").strip()
        if not value:
            return ""
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            raise forms.ValidationError("IP 地址格式不正确，例如 10.1.2.3。") from None

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "截止日期不能早于起始日期。")
        return cleaned


class AuditFilter(django_filters.FilterSet):
    """The audit log by user, action, result, object, address and time."""

    user = django_filters.CharFilter(label="用户名", field_name="actor_username", lookup_expr="icontains")
    action = django_filters.ChoiceFilter(label="操作", choices=AuditEntry.Action.choices, empty_label="全部操作")
    result = django_filters.ChoiceFilter(label="结果", choices=AuditEntry.Result.choices, empty_label="全部结果")
    object_type = django_filters.ChoiceFilter(label="对象类型", choices=object_types, empty_label="全部类型")
    obj = django_filters.CharFilter(label="对象", method="filter_object")
    ip = django_filters.CharFilter(label="IP 地址", method="filter_ip")
    start = django_filters.DateFilter(label="起始日期", field_name="created_at", lookup_expr="date__gte")
    end = django_filters.DateFilter(label="截止日期", field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = AuditEntry
        fields: list[str] = []
        form = AuditFilterForm

    def filter_object(self, queryset, name, value):
        """An object by its name (part of it) or its number."""
        value = value.strip()
        if not value:
            return queryset
        condition = Q(object_repr__icontains=value)
        if value.isascii() and value.isdigit():
            condition |= Q(object_id=value)
        return queryset.filter(condition)

    def filter_ip(self, queryset, name, value):
        return queryset.filter(ip=value) if value else queryset

    def describe(self) -> str:
        """The filter in words, for the heading of an export and the audit row that records it."""
        if not self.form.is_valid():
            return "全部记录"
        parts = []
        for name, field in self.form.fields.items():
            value = self.form.cleaned_data.get(name)
            if value in (None, ""):
                continue
            if hasattr(field, "choices"):
                value = dict(_flat(field.choices)).get(value, value)
            parts.append(f"{field.label}：{value}")
        return mask_numbers_in("；".join(parts)) or "全部记录"
