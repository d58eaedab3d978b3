from django.urls import include, path

from projects.views.public import progress_lookup
from qinqing.views import audit, auth, calendar, health, staff, two_factor
from qinqing.views import sms as sms_views

staff_patterns = (
    [
        path("", staff.staff_list, name="list"),
        path("new/", staff.staff_create, name="create"),
        path("<int:pk>/", staff.staff_detail, name="detail"),
        path("<int:pk>/edit/", staff.staff_edit, name="edit"),
        path("<int:pk>/disable/", staff.staff_disable, name="disable"),
        path("<int:pk>/enable/", staff.staff_enable, name="enable"),
        path("<int:pk>/unlock/", staff.staff_unlock, name="unlock"),
        path("<int:pk>/reset-password/", staff.staff_reset_password, name="reset_password"),
        path("<int:pk>/reset-two-factor/", two_factor.staff_reset, name="reset_two_factor"),
        path("departments/", staff.department_list, name="department_list"),
        path("departments/new/", staff.department_create, name="department_create"),
        path("departments/<int:pk>/edit/", staff.department_edit, name="department_edit"),
        path("calendar/", calendar.calendar_list, name="calendar_list"),
        path("calendar/<int:year>/", calendar.calendar_edit, name="calendar_edit"),
    ],
    "staff",
)

sms_patterns = (
    [
        path("", sms_views.message_list, name="list"),
        path("<int:pk>/resend/", sms_views.message_resend, name="resend"),
        path("templates/", sms_views.template_list, name="templates"),
        path("templates/<int:pk>/", sms_views.template_edit, name="template_edit"),
    ],
    "sms",
)

audit_patterns = (
    [
        path("", audit.audit_list, name="list"),
        path("export/", audit.audit_export, name="export"),
        path("approval/", two_factor.auditor_approval, name="approval"),
    ],
    "audit",
)

# Django's own admin site is not served: every change to accounts, units and the catalogue goes
# through the application's pages, which check roles, refuse stale forms and write the audit log
# (a superuser there could change groups and records past all three).
urlpatterns = [
    path("", include("ledger.urls")),
    path("projects/", include("projects.urls")),
    path("windows/", include("windows.urls")),
    path("followups/", include("followups.urls")),
    path("staff/", include(staff_patterns)),
    path("audit/", include(audit_patterns)),
    path("sms/", include(sms_patterns)),
    path("progress/", progress_lookup, name="progress_lookup"),
    path("healthz/", health.health, name="health"),
    path("accounts/login/", auth.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/verify/", two_factor.verify, name="two_factor_verify"),
    path("accounts/two-factor/", two_factor.manage, name="two_factor"),
    path("accounts/two-factor/recovery-codes/", two_factor.recovery_codes, name="two_factor_codes"),
]

handler400 = "qinqing.views.errors.bad_request"
handler403 = "qinqing.views.errors.permission_denied"
handler404 = "qinqing.views.errors.page_not_found"
handler500 = "qinqing.views.errors.server_error"
