from django.urls import path

from projects.views import catalogue, consultations, dossier, letters, matters

app_name = "projects"
urlpatterns = [
    path("", dossier.project_list, name="index"),
    path("new/", dossier.project_create, name="create"),
    path("<int:pk>/", dossier.project_detail, name="detail"),
    path("<int:pk>/edit/", dossier.project_edit, name="edit"),
    path("<int:pk>/reveal-phone/", dossier.reveal_phone, name="reveal_phone"),
    path("<int:pk>/merge/", dossier.project_merge, name="merge"),
    path("<int:pk>/letters/new/", letters.letter_create, name="letter_create"),
    path("<int:pk>/matters/add/", matters.matters_add, name="matters_add"),
    path("<int:pk>/feedback/new/", matters.feedback_create, name="feedback_create"),
    path("letters/<int:pk>/", letters.letter_detail, name="letter_detail"),
    path("letters/<int:pk>/pdf/", letters.letter_pdf, name="letter_pdf"),
    path("matters/", matters.unit_matters, name="unit_matters"),
    path("matters/<int:pk>/move/", matters.matter_move, name="matter_move"),
    path("matters/missing/<int:pk>/supply/", matters.missing_supply, name="missing_supply"),
    path("matters/commitments/<int:pk>/check/", matters.commitment_check, name="commitment_check"),
    path("matters/commitments/<int:pk>/close/", matters.commitment_close, name="commitment_close"),
    path("consultations/", consultations.consultation_list, name="consultation_list"),
    path("consultations/new/", consultations.consultation_create, name="consultation_create"),
    path("consultations/<int:pk>/answer/", consultations.consultation_answer, name="consultation_answer"),
    path("consultations/<int:pk>/to-project/", consultations.consultation_to_project, name="consultation_to_project"),
    path("catalogue/", catalogue.catalogue, name="catalogue"),
    path("catalogue/new/", catalogue.matter_create, name="matter_create"),
    path("catalogue/<int:pk>/", catalogue.matter_detail, name="matter_detail"),
    path("catalogue/<int:pk>/edit/", catalogue.matter_edit, name="matter_edit"),
    path("catalogue/<int:pk>/materials/new/", catalogue.material_create, name="material_create"),
    path("catalogue/<int:pk>/materials/verify/", catalogue.materials_verify, name="materials_verify"),
    path("catalogue/materials/<int:pk>/edit/", catalogue.material_edit, name="material_edit"),
    path("catalogue/materials/<int:pk>/template/", catalogue.material_template, name="material_template"),
    path("catalogue/bundles/new/", catalogue.bundle_edit, name="bundle_create"),
    path("catalogue/bundles/<int:pk>/edit/", catalogue.bundle_edit, name="bundle_edit"),
]
