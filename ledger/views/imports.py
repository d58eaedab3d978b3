"""Import of an existing Excel ledger: upload, preview every row with its problems, confirm or discard.

Only the reform office (capability ``import_ledger``) sees these pages; every office member sees
every import. Nothing changes on GET; confirming and discarding are POSTs handled by the services
in ``ledger.imports``."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ledger import imports
from ledger.forms import LedgerUploadForm
from ledger.models import LedgerImport
from qinqing.idempotency import idempotent

logger = logging.getLogger(__name__)

PREVIEW_PAGE_SIZE = 200


@require_http_methods(["GET", "POST"])
@permission_required("qinqing.import_ledger", raise_exception=True)
@idempotent
def import_upload(request):
    """The upload form and the list of past imports; a valid upload is kept and previewed."""
    if request.method == "POST":
        form = LedgerUploadForm(request.POST, request.FILES)
        if form.is_valid():
            original_name, content, _table = form.checked
            ledger_import = imports.upload_create(
                actor=request.user,
                request=request,
                original_name=original_name,
                content=content,
                default_specialist=form.cleaned_data["default_specialist"],
            )
            messages.info(request, "文件已上传，请核对下面的预览，确认无误后点击“导入”。")
            return redirect("ledger:import_detail", pk=ledger_import.pk)
    else:
        form = LedgerUploadForm()
    page = Paginator(LedgerImport.objects.select_related("uploaded_by"), 20).get_page(request.GET.get("page"))
    return render(request, "ledger/import_upload.html", {"form": form, "page": page, "unit": "次"})


@require_GET
@permission_required("qinqing.import_ledger", raise_exception=True)
def import_detail(request, pk: int):
    """Waiting: the preview as the import would happen now. Imported: what was created and skipped."""
    ledger_import = get_object_or_404(LedgerImport.objects.select_related("uploaded_by"), pk=pk)
    context = {"item": ledger_import, "only_problems": request.GET.get("only") == "problems"}
    if ledger_import.status == LedgerImport.Status.PREVIEW:
        try:
            checked = imports.preview(ledger_import)
        except imports.ImportFileError as error:
            logger.error("ledger import %s: %s", ledger_import.pk, error.message)
            context["file_error"] = error.message
        else:
            rows = checked.rows
            if context["only_problems"]:
                rows = [row for row in rows if row.errors or row.warnings]
            context.update(
                preview=checked,
                page=Paginator(rows, PREVIEW_PAGE_SIZE).get_page(request.GET.get("page")),
                unit="行",
                earlier=LedgerImport.objects.filter(
                    sha256=ledger_import.sha256, status=LedgerImport.Status.IMPORTED
                ).exclude(pk=ledger_import.pk),
            )
    elif ledger_import.status == LedgerImport.Status.IMPORTED:
        result = ledger_import.result or {}
        rows = result.get("rows", [])
        if context["only_problems"]:
            rows = [row for row in rows if row.get("outcome") != imports.OUTCOME_NEW or row.get("messages")]
        for row in rows:
            row["label"] = imports.OUTCOME_LABELS.get(row.get("outcome"), "")
        context.update(
            result=result,
            page=Paginator(rows, PREVIEW_PAGE_SIZE).get_page(request.GET.get("page")),
            unit="行",
        )
    return render(request, "ledger/import_detail.html", context)


@require_POST
@permission_required("qinqing.import_ledger", raise_exception=True)
def import_confirm(request, pk: int):
    ledger_import = get_object_or_404(LedgerImport, pk=pk)
    try:
        done = imports.import_confirm(actor=request.user, request=request, import_id=ledger_import.pk)
    except (imports.ImportStateError, imports.ImportFileError) as error:
        messages.error(request, error.message)
    except IntegrityError:
        logger.warning("ledger import %s: integrity error, rolled back", ledger_import.pk)
        messages.error(request, "导入时有人同时建立了相同的项目档案，本次未导入任何项目。请刷新预览后重试。")
    else:
        messages.success(
            request,
            f"已导入 {done.created_count} 个项目；跳过 {done.skipped_count} 行（已存在或有问题）。",
        )
    return redirect("ledger:import_detail", pk=ledger_import.pk)


@require_POST
@permission_required("qinqing.import_ledger", raise_exception=True)
def import_discard(request, pk: int):
    ledger_import = get_object_or_404(LedgerImport, pk=pk)
    try:
        imports.import_discard(actor=request.user, request=request, import_id=ledger_import.pk)
    except imports.ImportStateError as error:
        messages.error(request, error.message)
    else:
        messages.info(request, "已放弃本次导入，没有建立任何项目（上传的文件保留备查）。")
    return redirect("ledger:import_detail", pk=ledger_import.pk)
