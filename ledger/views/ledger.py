from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from ledger import archive, exports, selectors, tasks
from ledger.filters import filtered_ledger
from ledger.models import Export, ExportJob
from projects import selectors as project_selectors
from projects.models import ProjectMatter
from qinqing.pdf import render_pdf


@require_GET
@permission_required("qinqing.view_ledger", raise_exception=True)
def index(request):
    """The ledger (工作台账): one row per project in the user's scope, filtered, sorted, paginated."""
    today = timezone.localdate()
    filterset, filtered = _filtered(request)
    if filtered is None:
        filtered = project_selectors.projects_for(request.user).none()
    # the page's 50 ids first (an index scan, cheap at any offset), then the rows' figures for those 50
    # only: with the figures in the paged query, PostgreSQL computes them for every row the offset skips
    page = Paginator(filtered.values_list("pk", flat=True), 50).get_page(request.GET.get("page"))
    ids = list(page.object_list)
    place = {pk: index for index, pk in enumerate(ids)}
    projects = sorted(
        selectors.ledger_queryset(filtered.model.objects.filter(pk__in=ids)),
        key=lambda project: place[project.pk],
    )
    return render(
        request,
        "ledger/index.html",
        {
            "filter": filterset,
            "page": page,
            "rows": selectors.ledger_rows(projects, start=page.start_index(), user=request.user, today=today),
            "columns": selectors.LEDGER_COLUMNS,
            "described": filterset.describe(),
            "may_full_phones": selectors.may_export_full_phones(request.user),
        },
    )


PDF_MAX_ROWS = 2000


def _filtered(request):
    return filtered_ledger(request.user, request.GET)


def _refuse(request, filterset):
    messages.error(
        request, "查询条件有误，未导出：" + "；".join(e for errs in filterset.form.errors.values() for e in errs)
    )
    return redirect(f"{reverse('ledger:index')}?{request.GET.urlencode()}")


@require_GET
@permission_required("qinqing.view_ledger", raise_exception=True)
def matters(request):
    """The matter-level ledger: every matter of the filtered projects, with its deadline and warning."""
    today = timezone.localdate()
    filterset, projects = _filtered(request)
    rows = selectors.scoped_matters(request.user, projects) if projects is not None else ProjectMatter.objects.none()
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    for pm in page:
        pm.warning = pm.warning_on(today)
        pm.late = pm.late_on(today)
    return render(
        request,
        "ledger/matters.html",
        {
            "filter": filterset,
            "page": page,
            "described": filterset.describe(),
            "columns": exports.MATTER_COLUMNS,
            "may_full_phones": selectors.may_export_full_phones(request.user),
        },
    )


@require_GET
@permission_required("qinqing.view_ledger", raise_exception=True)
def export_pdf(request):
    """The ledger as a formal A4 landscape document (title, issuing office, filter, page numbers, 制表人)."""
    today = timezone.localdate()
    filterset, projects = _filtered(request)
    if projects is None:
        return _refuse(request, filterset)
    total = projects.count()
    if total > PDF_MAX_ROWS:
        messages.error(
            request, f"当前条件下有 {total} 个项目，PDF 最多 {PDF_MAX_ROWS} 个；请缩小查询范围，或导出 Excel。"
        )
        return redirect(f"{reverse('ledger:index')}?{request.GET.urlencode()}")
    rows = selectors.ledger_rows(selectors.ledger_queryset(projects), user=request.user, today=today)
    made_at = timezone.localtime()
    content = render_pdf(
        "ledger/ledger_print.html",
        {
            "rows": rows,
            "columns": selectors.LEDGER_COLUMNS,
            "described": filterset.describe(),
            "maker": request.user.name,
            "made_at": made_at,
        },
    )
    return archive.issue_response(
        request,
        kind=Export.Kind.LEDGER_PDF,
        title="工作台账",
        content=content,
        content_type=archive.PDF,
        filename=f"工作台账-{made_at:%Y%m%d-%H%M}.pdf",
        row_count=len(rows),
        described=filterset.describe(),
    )


@require_GET
@permission_required("qinqing.view_ledger", raise_exception=True)
def export_xlsx(request):
    """Exactly what the ledger's filter shows, as Excel; every export is in the audit log. A filter
    holding more projects than ``settings.BACKGROUND_EXPORT_PROJECTS`` is exported in the background:
    the person is taken to the job's page, which shows its progress and then the download."""
    filterset, filtered = _filtered(request)
    if filtered is None:
        return _refuse(request, filterset)
    total = filtered.count()
    if total > settings.BACKGROUND_EXPORT_PROJECTS:
        job = tasks.job_queue(user=request.user, params=request.GET, total=total, described=filterset.describe())
        messages.info(request, f"共 {total} 个项目，已转入后台导出，完成后可在本页或“导出记录”中下载。")
        return redirect("ledger:export_job", pk=job.pk)
    content, count, described = tasks.ledger_xlsx(request.user, request.GET)
    return archive.issue_response(
        request,
        kind=Export.Kind.LEDGER_XLSX,
        title="工作台账",
        content=content,
        content_type=archive.XLSX,
        filename=tasks.filename_now(),
        row_count=count,
        described=described,
        reveals=tasks.wants_full_phones(request.user, request.GET),
    )


@require_GET
@permission_required("qinqing.view_ledger", raise_exception=True)
def export_job(request, pk: int):
    """A background export's progress (htmx polls the bar every second), then its download. Only the
    person who asked for it sees it (the file itself is in the archive, with its own permissions)."""
    job = get_object_or_404(ExportJob.objects.select_related("export"), pk=pk, requested_by=request.user)
    template = "ledger/_export_job.html" if request.htmx else "ledger/export_job.html"
    return render(request, template, {"job": job})
