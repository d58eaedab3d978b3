"""The measurements of ``make bench``, each a function returning plain figures (JSON-ready).

Pages are timed in-process through Django's test client against the real PostgreSQL database: the
time from the request entering the middleware to the response leaving it (server time, no network),
median of repeated runs after a warm-up, with the number of SQL queries of one run. Exports run in a
fresh process each (``bench_export``) so their peak memory is their own.
"""

from __future__ import annotations

import gc
import io
import resource
import statistics
import time
from datetime import timedelta

from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

RUNS = 15
WARMUP = 2
# the full export and the bare openpyxl run, each this many times, taking turns (medians compared)
EXPORT_TURNS = 3


def _client(username: str) -> Client:
    from qinqing.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def count_queries(client: Client, url: str) -> int:
    """The SQL statements one GET of ``url`` runs (counted at the driver, DEBUG or not)."""
    count = 0

    def counter(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        client.get(url)
    return count


def time_get(client: Client, url: str, runs: int = RUNS) -> dict:
    """Median and spread of the server time of GET ``url``, and its query count."""
    for _ in range(WARMUP):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    queries = count_queries(client, url)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "median_ms": round(statistics.median(times), 1),
        "p90_ms": round(times[max(0, int(len(times) * 0.9) - 1)], 1),
        "queries": queries,
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
    """The full-ledger Excel export as the reform office sees it.

    ``ours``: the application's export (ORM reads, the ledger's row shape, masking, warning colours,
    formula guard), timed with the process's peak memory; then, in the same process, side by side,
    the bare baseline: plain openpyxl write-only writing exactly the same rows (the values our export
    wrote, gathered beforehand, untimed) with no styling. ``import_export``: django-import-export's
    ModelResource exporting the same querysets to xlsx, in its own process."""
    from projects.models import Project, ProjectMatter
    from qinqing.models import User

    user = User.objects.get(username="demo_office")
    projects = Project.objects.all()
    matters = ProjectMatter.objects.all()
    before = _peak_mb()
    if kind == "import_export":
        start = time.perf_counter()
        size, rows = _import_export(projects, matters)
        seconds = time.perf_counter() - start
        return {"kind": kind, "seconds": round(seconds, 2), "bytes": size, "projects": rows, "peak_mb": _peak_mb(),
                "start_mb": before}  # fmt: skip
    from ledger import exports, selectors

    today = timezone.localdate()

    def ours() -> tuple[float, bytes, int]:
        gc.collect()
        start = time.perf_counter()
        content, rows = exports.ledger_workbook(
            projects=selectors.ledger_queryset(projects).iterator(chunk_size=exports.BATCH),
            matters=matters.order_by("project_id", "id"),
            described="全部项目",
            exporter=user.name,
            user=user,
        )
        return time.perf_counter() - start, content, rows

    # the first run warms the database's and the process's caches, and gives the peak memory (before
    # the bare run's rows are held in memory); the timed runs follow
    _, content, rows = ours()
    peak = _peak_mb()
    ledger_rows = [
        [*row.cells(), row.warning or None]
        for row in exports._rows(selectors.ledger_queryset(projects).iterator(chunk_size=exports.BATCH), user, today)
    ]
    matter_rows = list(exports._matter_rows(matters.order_by("project_id", "id"), today))

    def bare() -> tuple[float, int]:
        gc.collect()
        start = time.perf_counter()
        size = _bare(ledger_rows, matter_rows)
        return time.perf_counter() - start, size

    # side by side, taking turns: a single run of either varies by 10-20 % on a shared 2-core machine
    ours_times, bare_times, bare_size = [], [], 0
    for _ in range(EXPORT_TURNS):
        ours_times.append(ours()[0])
        seconds, bare_size = bare()
        bare_times.append(seconds)
    return {
        "kind": kind,
        "seconds": round(statistics.median(ours_times), 2),
        "runs": [round(t, 2) for t in ours_times],
        "bytes": len(content),
        "projects": rows,
        "peak_mb": peak,
        "start_mb": before,
        "bare_seconds": round(statistics.median(bare_times), 2),
        "bare_runs": [round(t, 2) for t in bare_times],
        "bare_bytes": bare_size,
        "cells": sum(len(r) for r in ledger_rows) + sum(len(r) for r in matter_rows),
    }


def _bare(ledger_rows: list[list], matter_rows: list[list]) -> int:
    """openpyxl write-only, nothing else: the same rows, plain values, no title, styles or filter."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for title, rows in (("工作台账", ledger_rows), ("办理事项", matter_rows)):
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return len(buffer.getvalue())


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
                      "investment_type", "nature", "stage", "specialist", "completed_on", "note")  # fmt: skip

    class MatterResource(resources.ModelResource):
        project_name = fields.Field(attribute="project__name", column_name="项目")
        matter_name = fields.Field(attribute="matter__name", column_name="事项")
        unit_name = fields.Field(attribute="unit__name", column_name="责任单位")

        class Meta:
            model = ProjectMatter
            fields = ("project_name", "matter_name", "unit_name", "mode", "accepted_on", "time_limit_workdays", "due_on",
                      "status", "finished_on")  # fmt: skip

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

    cookies: dict[str, list[str]] = {}
    for seat in ("demo_office", "demo_specialist", "demo_window"):
        # seven sessions a seat: twenty people each signed in on their own, not three shared sessions
        cookies[seat] = [
            f"{settings.SESSION_COOKIE_NAME}={_client(seat).cookies[settings.SESSION_COOKIE_NAME].value}"
            for _ in range(7)
        ]
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
