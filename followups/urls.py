from django.urls import path

from followups.views import draws, index, notices, rectifications

app_name = "followups"
urlpatterns = [
    path("", index.index, name="index"),
    # the random draw and the visits it plans
    path("draws/", draws.draw_list, name="draw_list"),
    path("draws/new", draws.draw_create, name="draw_create"),
    path("draws/<int:pk>/", draws.draw_detail, name="draw_detail"),
    path("visits/", draws.visit_list, name="visit_list"),
    path("visits/<int:pk>/", draws.visit_detail, name="visit_detail"),
    path("visits/<int:pk>/record", draws.visit_record, name="visit_record"),
    # rectifications and escalations
    path("rectifications/", rectifications.rectification_list, name="rectification_list"),
    path("rectifications/<int:pk>/", rectifications.rectification_detail, name="rectification_detail"),
    path("rectifications/<int:pk>/report", rectifications.rectification_report, name="rectification_report"),
    path("rectifications/<int:pk>/return", rectifications.rectification_return, name="rectification_return"),
    path("rectifications/<int:pk>/close", rectifications.rectification_close, name="rectification_close"),
    path("escalations/", rectifications.escalation_list, name="escalation_list"),
    path("escalations/new", rectifications.escalation_create, name="escalation_create"),
    path("escalations/<int:pk>/", rectifications.escalation_detail, name="escalation_detail"),
    path("escalations/<int:pk>/close", rectifications.escalation_close, name="escalation_close"),
    path("escalations/<int:pk>/sign", rectifications.escalation_sign, name="escalation_sign"),
    path("escalations/<int:pk>/reply", rectifications.escalation_reply, name="escalation_reply"),
    path("escalations/<int:pk>/opinion", rectifications.escalation_opinion, name="escalation_opinion"),
    path("escalations/<int:pk>.pdf", rectifications.escalation_pdf, name="escalation_pdf"),
    # notices and inspections
    path("notices/", notices.notice_list, name="notice_list"),
    path("notices/new", notices.notice_create, name="notice_create"),
    path("notices/<int:pk>/", notices.notice_detail, name="notice_detail"),
    path("notices/<int:pk>/edit", notices.notice_edit, name="notice_edit"),
    path("notices/<int:pk>/issue", notices.notice_issue, name="notice_issue"),
    path("notices/<int:pk>.pdf", notices.notice_pdf, name="notice_pdf"),
    path("inspections/", notices.inspection_list, name="inspection_list"),
    path("inspections/new", notices.inspection_create, name="inspection_create"),
    path("inspections/<int:pk>/", notices.inspection_detail, name="inspection_detail"),
]
