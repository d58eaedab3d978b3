from django.urls import path

from ledger.views import archive, dossier, imports, summary, workbench
from ledger.views import ledger as views

app_name = "ledger"
urlpatterns = [
    path("", workbench.workbench, name="workbench"),
    path("ledger/", views.index, name="index"),
    path("ledger/export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("ledger/export.pdf", views.export_pdf, name="export_pdf"),
    path("ledger/export-jobs/<int:pk>/", views.export_job, name="export_job"),
    path("ledger/matters/", views.matters, name="matters"),
    path("ledger/exports/", archive.export_list, name="export_list"),
    path("ledger/exports/<int:pk>/download", archive.export_download, name="export_download"),
    path("ledger/summary/", summary.summary, name="summary"),
    path("ledger/summary/export.xlsx", summary.export_xlsx, name="summary_xlsx"),
    path("ledger/summary/export.pdf", summary.export_pdf, name="summary_pdf"),
    path("ledger/summary/narrative", summary.narrative_save, name="summary_narrative"),
    path("ledger/summary/issue", summary.issue, name="summary_issue"),
    path("ledger/dossier/<int:pk>.pdf", dossier.dossier_pdf, name="dossier_pdf"),
    path("ledger/imports/", imports.import_upload, name="import_upload"),
    path("ledger/imports/<int:pk>/", imports.import_detail, name="import_detail"),
    path("ledger/imports/<int:pk>/confirm", imports.import_confirm, name="import_confirm"),
    path("ledger/imports/<int:pk>/discard", imports.import_discard, name="import_discard"),
]
