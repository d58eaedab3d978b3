from django.urls import path

from windows.views import handoffs, handover, meetings, problems, setup

app_name = "windows"
urlpatterns = [
    path("", handoffs.index, name="index"),
    path("handoffs/new/<int:project_pk>/", handoffs.handoff_create, name="handoff_create"),
    path("handoffs/<int:pk>/", handoffs.handoff_detail, name="handoff_detail"),
    path("handoffs/<int:pk>/accept/", handoffs.handoff_accept, name="handoff_accept"),
    path("handoffs/<int:pk>/cancel/", handoffs.handoff_cancel, name="handoff_cancel"),
    path("handoffs/<int:pk>/return/", handoffs.handoff_return, name="handoff_return"),
    path("handoffs/<int:pk>/report/", handoffs.report_create, name="report_create"),
    path("reports/<int:pk>/", handoffs.report_handle, name="report_handle"),
    path("problems/", problems.problem_list, name="problem_list"),
    path("problems/new/<int:project_pk>/", problems.problem_create, name="problem_create"),
    path("problems/<int:pk>/", problems.problem_detail, name="problem_detail"),
    path("meetings/", meetings.meeting_list, name="meeting_list"),
    path("meetings/new/", meetings.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", meetings.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/minutes/", meetings.meeting_minutes, name="meeting_minutes"),
    path("meetings/<int:pk>/issue/", meetings.meeting_issue, name="meeting_issue"),
    path("meetings/<int:pk>/pdf/", meetings.meeting_pdf, name="meeting_pdf"),
    path("decisions/<int:pk>/", meetings.decision_update, name="decision_update"),
    path("handover/", handover.reassign, name="handover"),
    path("handover/<int:from_pk>/", handover.reassign, name="handover_from"),
    path("setup/", setup.window_list, name="window_list"),
    path("setup/<int:pk>/", setup.window_edit, name="window_edit"),
]
