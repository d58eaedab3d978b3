from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from qinqing.models import AuditEntry, Department, User


@admin.register(Department)
class DepartmentAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "is_active"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(SimpleHistoryAdmin):
    list_display = ["username", "display_name", "department", "is_active"]
    search_fields = ["username", "display_name"]
    exclude = ["password"]
    readonly_fields = ["last_login", "date_joined", "password_changed_at", "version"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: nobody, not even a superuser, changes or deletes the audit log here."""

    list_display = ["created_at", "actor_username", "ip", "action", "result", "object_repr"]
    list_filter = ["action", "result"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
