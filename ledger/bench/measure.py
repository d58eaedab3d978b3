"""The measurements of ``make bench``, each a function returning plain figures (JSON-ready).

Pages are timed in-process through Django's test client against the real PostgreSQL database: the
time from the request entering the middleware to the response leaving it (server time, no network),
median of repeated runs after a warm-up, with the number of SQL queries of one run. Exports run in a
fresh process each (``bench_export``) so their peak memory is their own.
"""

from __future__ import annotations

import io
import resource
import statistics
import time
from datetime import timedelta

from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

RUNS = 15
WARMUP = 2


def _client(username: str) -> Client:
    from qinqing.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def time_get(client: Client, url: str, runs: int = RUNS) -> dict:
    """Median and spread of the server time of GET ``url``, and its query count."""
    for _ in range(WARMUP):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        reset_queries()
    times.sort()
    return {
        "median_ms": round(statistics.median(times), 1),
        "p90_ms": round(times[int(len(times) * 0.9) - 1], 1),
        "queries": len(queries),
    }


def page_cases() -> list[tuple[str, str, str]]:
    """(label, seat, URL) of the pages with budgets."""
    from projects.models import Project, Stage

    from .seed import MARK

    stage = Stage.objects.order_by("number").values_list("pk", flat=True)[2]
    today = timezone.localdate()
    ledger = reverse("ledger:index")
    project = (
        Project.objects.filter(note__startswith=MARK, status=Project.Status.ACTIVE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    middle = project[project.count() // 2]
    start = (today - timedelta(days=today.weekday() + 7)).isoformat()
    return [
        ("工作台账（无筛选）", "demo_office", ledger),
        ("工作台账（阶段+状态）", "demo_office", f"{ledger}?stage={stage}&status=在办"),
        ("工作台账（有逾期事项）", "demo_office", f"{ledger}?warning=逾期"),
        ("工作台账（全文查找）", "demo_office", f"{ledger}?q=观音桥"),
        (
            "工作台账（登记日期范围）",
            "demo_office",
            f"{ledger}?registered_from={today.replace(month=1, day=1)}&registered_to={today}",
        ),
        ("工作台账（末页）", "demo_office", f"{ledger}?page={(Project.objects.count() + 49) // 50}"),
        ("工作台账（帮办专员本人）", "demo_specialist", ledger),
        ("项目档案页", "demo_office", reverse("projects:detail", args=[middle])),
        ("工作台·待办（帮办专员）", "demo_specialist", reverse("ledger:workbench")),
        ("工作台·待办（窗口人员）", "demo_window", reverse("ledger:workbench")),
        ("工作台·待办（责任单位）", "demo_dept", reverse("ledger:workbench")),
        ("周报页（上周）", "demo_office", reverse("ledger:summary")),
        ("周报页（近一个月）", "demo_office", f"{reverse('ledger:summary')}?start={start}&end={today}"),
    ]


def pages() -> list[dict]:
    clients: dict[str, Client] = {}
    results = []
    for label, seat, url in page_cases():
        client = clients.setdefault(seat, _client(seat))
        runs = 7 if label.startswith("周报") else RUNS
        results.append({"label": label, "seat": seat, "url": url, "runs": runs, **time_get(client, url, runs=runs)})
    return results


def summary_pdf(runs: int = 3) -> dict:
    client = _client("demo_office")
    url = reverse("ledger:summary_pdf")
    return {"label": "周报 PDF（上周）", **time_get(client, url, runs=runs)}


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def export_run(kind: str) -> dict:
    """One full-ledger Excel export as the reform office sees it: ``ours`` (the application's export),
    ``bare`` (plain openpyxl write-only writing the same rows: the projects' columns and every matter,
    read with values_list, no styling), or ``import_export`` (django-import-export's ModelResource
    exporting the same querysets to xlsx). Returns the seconds, the bytes and the process's peak RSS."""
    from projects.models import Project, ProjectMatter
    from qinqing.models import User

    user = User.objects.get(username="demo_office")
    projects = Project.objects.all()
    matters = ProjectMatter.objects.all()
    before = _peak_mb()
    start = time.perf_counter()
    if kind == "ours":
        from ledger import exports, selectors

        content, rows = exports.ledger_workbook(
            projects=selectors.ledger_queryset(user, projects, timezone.localdate()).iterator(chunk_size=500),
            matters=matters.select_related("project", "matter", "unit")
            .order_by("project_id", "id")
            .iterator(chunk_size=2000),
            described="全部项目",
            exporter=user.name,
            user=user,
        )
        size = len(content)
    elif kind == "bare":
        size, rows = _bare(projects, matters)
    elif kind == "import_export":
        size, rows = _import_export(projects, matters)
    else:
        raise ValueError(kind)
    seconds = time.perf_counter() - start
    return {
        "kind": kind,
        "seconds": round(seconds, 2),
        "bytes": size,
        "projects": rows,
        "peak_mb": _peak_mb(),
        "start_mb": before,
    }


_PROJECT_FIELDS = (
    "id",
    "registered_on",
    "name",
    "code",
    "builder",
    "contact_name",
    "contact_phone",
    "investment_type",
    "nature",
    "current_stage__name",
    "specialist__display_name",
    "completed_on",
    "note",
)
_MATTER_FIELDS = (
    "project__name",
    "matter__name",
    "unit__name",
    "mode",
    "accepted_on",
    "time_limit_workdays",
    "due_on",
    "status",
    "finished_on",
)


def _bare(projects, matters) -> tuple[int, int]:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("工作台账")
    sheet.append(list(_PROJECT_FIELDS))
    count = 0
    for row in projects.order_by("-registered_on", "-id").values_list(*_PROJECT_FIELDS).iterator(chunk_size=2000):
        sheet.append(list(row))
        count += 1
    sheet = workbook.create_sheet("办理事项")
    sheet.append(list(_MATTER_FIELDS))
    for row in matters.order_by("project_id", "id").values_list(*_MATTER_FIELDS).iterator(chunk_size=2000):
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return len(buffer.getvalue()), count


def _import_export(projects, matters) -> tuple[int, int]:
    import tablib
    from import_export import fields, resources

    from projects.models import Project, ProjectMatter

    class ProjectResource(resources.ModelResource):
        stage = fields.Field(attribute="current_stage__name", column_name="所处阶段")
        specialist = fields.Field(attribute="specialist__display_name", column_name="帮办专员")

        class Meta:
            model = Project
            fields = ("id", "registered_on", "name", "code", "builder", "contact_name", "contact_phone",
                      "investment_type", "nature", "completed_on", "note")  # fmt: skip

    class MatterResource(resources.ModelResource):
        project_name = fields.Field(attribute="project__name", column_name="项目")
        matter_name = fields.Field(attribute="matter__name", column_name="事项")
        unit_name = fields.Field(attribute="unit__name", column_name="责任单位")

        class Meta:
            model = ProjectMatter
            fields = ("mode", "accepted_on", "time_limit_workdays", "due_on", "status", "finished_on")

    first = ProjectResource().export(
        queryset=projects.select_related("current_stage", "specialist").order_by("-registered_on", "-id")
    )
    first.title = "工作台账"
    second = MatterResource().export(
        queryset=matters.select_related("project", "matter", "unit").order_by("project_id", "id")
    )
    second.title = "办理事项"
    book = tablib.Databook([first, second])
    content = book.export("xlsx")
    return len(content), first.height


def machine() -> dict:
    import os
    import platform

    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            model = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "")
    except OSError:
        pass
    memory = 0
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            memory = int(next(line for line in handle if line.startswith("MemTotal")).split()[1]) // 1024 // 1024
    except (OSError, StopIteration):
        pass
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        database = cursor.fetchone()[0].split(" on ")[0]
    return {
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
        "memory_gb": memory,
        "python": platform.python_version(),
        "database": database,
    }


def sessions() -> dict:
    """Session cookies of signed-in demo seats (through the real login path), for the load test."""
    from django.conf import settings

    cookies = {}
    for seat in ("demo_office", "demo_specialist", "demo_window"):
        client = _client(seat)
        cookies[seat] = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return {"cookies": cookies, "cases": [(label, seat, url) for label, seat, url in load_cases()]}


def load_cases() -> list[tuple[str, str, str]]:
    """What 20 concurrent users do in the load test: the ledger, a dossier, their to-do list."""
    from projects.models import Project

    from .seed import MARK

    ids = list(
        Project.objects.filter(note__startswith=MARK, status=Project.Status.ACTIVE)
        .order_by("pk")
        .values_list("pk", flat=True)[:200]
    )
    cases = [("工作台账", "demo_office", reverse("ledger:index"))]
    cases += [("项目档案", "demo_office", reverse("projects:detail", args=[pk])) for pk in ids[::20]]
    cases += [
        ("待办（帮办专员）", "demo_specialist", reverse("ledger:workbench")),
        ("待办（窗口人员）", "demo_window", reverse("ledger:workbench")),
        ("工作台账（帮办专员）", "demo_specialist", reverse("ledger:index")),
    ]
    return cases
