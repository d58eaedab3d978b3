from django.urls import path

from ledger import views

app_name = "ledger"
urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("ledger/", views.index, name="index"),
    path("ledger/export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("ledger/export.pdf", views.export_pdf, name="export_pdf"),
    path("ledger/matters/", views.matters, name="matters"),
]
