from __future__ import annotations

import django_filters
from django.db.models import Q

from qinqing.forms import StyledForm
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


class AuditFilter(django_filters.FilterSet):
    user = django_filters.CharFilter(label="用户名", field_name="actor_username", lookup_expr="icontains")
    action = django_filters.ChoiceFilter(label="操作", choices=AuditEntry.Action.choices, empty_label="全部操作")
    result = django_filters.ChoiceFilter(label="结果", choices=AuditEntry.Result.choices, empty_label="全部结果")
    start = django_filters.DateFilter(label="起始日期", field_name="created_at", lookup_expr="date__gte")
    end = django_filters.DateFilter(label="截止日期", field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = AuditEntry
        fields: list[str] = []
        form = StyledForm
