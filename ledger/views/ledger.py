from urllib.parse import urlsplit

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
from qinqing import audit
from qinqing.htmx import wants_fragment
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
            "page_numbers": _page_numbers(page),
            "rows": selectors.ledger_rows(projects, start=page.start_index(), user=request.user, today=today),
            "columns": selectors.LEDGER_COLUMNS,
            "described": filterset.describe(),
            "may_full_phones": selectors.may_export_full_phones(request.user),
        },
    )


PDF_MAX_ROWS = 2000
# the PDF's column widths in points, LEDGER_COLUMNS' order; they add up to the 774pt between the margins
# of A4 landscape, so no column runs past the page (a long code or name wraps in its cell)
PDF_WIDTHS = (20, 44, 60, 56, 54, 50, 26, 24, 44, 24, 40, 32, 56, 44, 32, 44, 46, 44, 34)


def _page_numbers(page) -> list:
    """The page numbers the pager links to: the first, the last and two either side of this one, with
    an ellipsis (``Paginator.ELLIPSIS``) for the ones left out."""
    return list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))


def _filtered(request):
    return filtered_ledger(request.user, request.GET)


def _back(request) -> str:
    """Where an export that was not made sends the person back to: the ledger view they clicked it on
    (by project, or by matter), with their filter."""
    on_matters = urlsplit(request.headers.get("Referer", "")).path == reverse("ledger:matters")
    return f"{reverse('ledger:matters' if on_matters else 'ledger:index')}?{request.GET.urlencode()}"


def _refuse(request, filterset):
    messages.error(
        request, "查询条件有误，未导出：" + "；".join(e for errs in filterset.form.errors.values() for e in errs)
    )
    return redirect(_back(request))


@require_GET
@permission_required("qinqing.view_ledger", raise_exception=True)
def matters(request):
    """The matter-level ledger: every matter of the filtered projects, with its deadline and warning."""
    today = timezone.localdate()
    filterset, projects = _filtered(request)
    if projects is None:
        rows = ProjectMatter.objects.none()
    else:  # the projects in the ledger's order, as the Excel's matters sheet lists them
        rows = selectors.scoped_matters(request.user, projects, ordering=filterset.ordering(prefix="project__"))
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
            "page_numbers": _page_numbers(page),
            "paused": selectors.PAUSED,
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
        return redirect(_back(request))
    rows = selectors.ledger_rows(selectors.ledger_queryset(projects), user=request.user, today=today)
    made_at = timezone.localtime()
    content = render_pdf(
        "ledger/ledger_print.html",
        {
            "rows": rows,
            "columns": selectors.LEDGER_COLUMNS,
            "widths": PDF_WIDTHS,
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
        save=True,  # the button's file is saved; the ledger page stays where it was
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
        job = tasks.job_queue(
            user=request.user,
            params=request.GET,
            total=total,
            described=filterset.describe(),
            ip=audit.client_ip(request),
        )
        messages.info(request, f"共 {total} 个项目，已转入后台导出，完成后可在本页或“导出记录”中下载。")
        return redirect("ledger:export_job", pk=job.pk)
    content, count, described = tasks.ledger_xlsx(request.user, request.GET)
    full_phones = tasks.wants_full_phones(request.user, request.GET)
    return archive.issue_response(
        request,
        kind=Export.Kind.LEDGER_XLSX,
        title="工作台账",
        content=content,
        content_type=archive.XLSX,
        filename=tasks.filename_now(full_phones=full_phones),
        row_count=count,
        described=described,
        reveals=full_phones,
    )


@require_GET
@permission_required("qinqing.view_ledger", raise_exception=True)
def export_job(request, pk: int):
    """A background export's progress (htmx polls the bar every second), then its download. Only the
    person who asked for it sees it (the file itself is in the archive, with its own permissions)."""
    job = get_object_or_404(ExportJob.objects.select_related("export"), pk=pk, requested_by=request.user)
    template = "ledger/_export_job.html" if wants_fragment(request) else "ledger/export_job.html"
    return render(request, template, {"job": job})
