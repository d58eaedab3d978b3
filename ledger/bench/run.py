"""``make bench``: the whole benchmark, each step in its own process, then the report.

    python -m ledger.bench.run [--scale 10] [--no-load] [--output docs/performance.md]

1. PostgreSQL databases next to the test one: ``qinqing_bench_small`` (1,000 projects) and
   ``qinqing_bench`` (10,000 projects, 100,000 matters), and with ``--scale 10`` also
   ``qinqing_bench_x10`` (100,000 projects, 1,000,000 matters); migrated and seeded once (a second
   run reuses them).
2. The pages with budgets on each, the weekly summary PDF on the 10,000-project one.
3. The full-ledger Excel export on the 10,000-project one (the data set its budget names), three ways
   side by side, each in a fresh process: the application's, bare openpyxl write-only,
   django-import-export.
4. A load test on the 10,000-project one: nginx (deploy/nginx-app.conf) in front of gunicorn
   (deploy/gunicorn.conf.py, the production settings) on loopback, 20 users from wrk over the
   ledger, dossiers and to-do lists of three seats, then 20 connections without pause (saturation).
5. docs/performance.md: the measured part between its markers is replaced, the analysis kept.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
WORK = ROOT / "var" / "bench"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"

# budgets of issue 8
PAGE_MS = 150
SUMMARY_MS = 300
SUMMARY_PDF_S = 3.0
SCALE_RATIO = 1.5
BARE_RATIO = 1.3
IMPORT_EXPORT_SPEEDUP = 2.0
EXPORT_MB = 200
LOAD_P95_MS = 300
LOAD_CONNECTIONS = 20
LOAD_SECONDS = 20
PAGE_ROUNDS = 3


def say(text: str) -> None:
    print(f">> {text}", flush=True)


def base_url() -> str:
    url = (
        os.environ.get("DATABASE_URL")
        or subprocess.run(
            [str(ROOT / "scripts" / "pg-url.sh")], capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("make bench 需要 PostgreSQL（DATABASE_URL 或本机 127.0.0.1:5432）。")
    return url


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def ensure_database(url: str, name: str) -> str:
    """Create database ``name`` (if missing) with the role of ``url``; return its URL."""
    assert re.fullmatch(r"[a-z_0-9]+", name), name  # our own fixed names only
    admin = with_database(url, "postgres")
    exists = subprocess.run(
        ["psql", admin, "-Atqc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],  # noqa: S608
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{name}"'], check=True)
    return with_database(url, name)


def manage(database: str, *args: str, env: dict | None = None, capture: bool = False) -> str:
    environment = {**os.environ, "DATABASE_URL": database, "QINQING_DEBUG": "false", **(env or {})}
    environment.setdefault("QINQING_ENV", "development")
    result = subprocess.run(
        [PY, str(ROOT / "manage.py"), *args], env=environment, check=True, text=True, capture_output=capture
    )
    return result.stdout if capture else ""


def step_json(database: str, *args: str, env: dict | None = None) -> dict:
    WORK.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("r", suffix=".json", dir=WORK, delete=False) as handle:
        path = Path(handle.name)
    try:
        manage(database, "bench", *args, "--json", str(path), env=env)
        return json.loads(path.read_text(encoding="utf-8"))
    finally:
        path.unlink(missing_ok=True)


def prepare(database: str, projects: int) -> None:
    manage(database, "migrate", "--noinput", "-v", "0")
    manage(database, "bench", "seed", "--projects", str(projects))


NGINX_PORT, GUNICORN_PORT = 18764, 18765


def nginx_config(work: Path, nginx_port: int, app_port: int) -> str:
    """nginx for the load test: the production site's application part (deploy/nginx-app.conf, the file
    the HTTPS server includes) in front of gunicorn, on loopback and without TLS."""
    temp = {name: work / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(parents=True, exist_ok=True)
    return "\n".join([
        "worker_processes auto;",
        f"pid {work / 'nginx.pid'};",
        f"error_log {work / 'error.log'} warn;",
        "events { worker_connections 512; }",
        "http {",
        "    access_log off;",
        *(f"    {name}_temp_path {path};" for name, path in temp.items()),
        "    upstream qinqing_app {",
        f"        server 127.0.0.1:{app_port} max_fails=3 fail_timeout=10s;",
        "    }",
        "    server {",
        f"        listen 127.0.0.1:{nginx_port};",
        "        server_name 127.0.0.1;",
        "        server_tokens off;",
        f"        include {ROOT / 'deploy' / 'nginx-app.conf'};",
        "    }",
        "}",
        "",
    ])  # fmt: skip


def _wait_for(url: str, seconds: int = 30) -> None:
    for _ in range(seconds * 2):
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310
            return
        except OSError:
            time.sleep(0.5)


def load_test(database: str) -> dict:
    """The production stack on loopback under wrk: nginx (deploy/nginx-app.conf) in front of gunicorn
    (deploy/gunicorn.conf.py, the production settings) and PostgreSQL; 20 users, then saturation."""
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            return {"skipped": f"未安装 {tool}（apt-get install {tool}）"}
    secret = secrets.token_urlsafe(64)
    # the sessions are signed with the key the server will check them with
    sessions = step_json(database, "sessions", env={"SECRET_KEY": secret})
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "QINQING_ENV": "production",
        "SECRET_KEY": secret,
        "ALLOWED_HOSTS": "127.0.0.1",
        "QINQING_SSL_REDIRECT": "false",
        "QINQING_BEHIND_PROXY": "true",
        "QINQING_LOG_LEVEL": "WARNING",
        "GUNICORN_BIND": f"127.0.0.1:{GUNICORN_PORT}",
    }
    subprocess.run(
        [PY, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    # each request's path, status and time inside the worker (ms): wrk sees the time in the queue too
    work = WORK / "nginx"
    work.mkdir(parents=True, exist_ok=True)
    access_log = WORK / "access.log"
    access_log.write_text("", encoding="utf-8")
    config = work / "nginx.conf"
    config.write_text(nginx_config(work, NGINX_PORT, GUNICORN_PORT), encoding="utf-8")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    subprocess.run([nginx, "-t", "-q", "-c", str(config)], check=True)
    server = subprocess.Popen(
        [
            str(Path(PY).parent / "gunicorn"),
            "--config",
            str(ROOT / "deploy" / "gunicorn.conf.py"),
            "--log-level",
            "warning",
            "--access-logfile",
            str(access_log),
            "--access-logformat",
            "%(U)s %(s)s %(M)s",
            "qinqing.wsgi:application",
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    proxy = subprocess.Popen([nginx, "-c", str(config), "-g", "daemon off;"], start_new_session=True)
    try:
        _wait_for(f"http://127.0.0.1:{GUNICORN_PORT}/healthz/")
        _wait_for(f"http://127.0.0.1:{NGINX_PORT}/healthz/")
        # every seat's session must open its pages (a 302 to the login page would be measured as a fast success)
        for _, seat, url in sessions["cases"]:
            connection = http.client.HTTPConnection("127.0.0.1", NGINX_PORT, timeout=30)
            connection.request("GET", url, headers={"Cookie": sessions["cookies"][seat][0]})
            status = connection.getresponse().status
            connection.close()
            if status != 200:
                return {"skipped": f"{seat} 打开 {url} 得到 {status}，会话无效，未进行负载测试"}
        # the saturation run first: it also warms every worker (templates, connections, caches)
        saturation = _wrk(NGINX_PORT, sessions, think=False)
        offset = access_log.stat().st_size
        users = _wrk(NGINX_PORT, sessions, think=True)
        if "skipped" in users or "skipped" in saturation:
            return users if "skipped" in users else saturation
        by_page = server_times(access_log.read_text(encoding="utf-8")[offset:], sessions["cases"])
        # the worker count deploy/gunicorn.conf.py chose on this machine: the master's children
        workers = len(Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split())
        return {**users, "workers": workers, "paths": len(sessions["cases"]), "saturation": saturation,
                "by_page": by_page}  # fmt: skip
    finally:
        for process in (proxy, server):
            os.killpg(process.pid, signal.SIGTERM)
        for process in (proxy, server):
            process.wait(timeout=30)


def _wrk(port: int, sessions: dict, *, think: bool) -> dict:
    """wrk with LOAD_CONNECTIONS connections: each a user who waits 1–3 s between pages (``think``), or
    all firing back to back (the machine's saturation)."""
    script = WORK / ("load-users.lua" if think else "load-saturation.lua")
    lines = ["local cases = {"]
    count = len(sessions["cases"])
    for index, (_, seat, url) in enumerate(sessions["cases"] * 7):
        cookie = sessions["cookies"][seat][(index // count) % len(sessions["cookies"][seat])]
        lines.append(f'  {{path = "{url}", cookie = "{cookie}"}},')
    lines += [
        "}",
        "local n = 0",
        "request = function()",
        "  n = n + 1",
        "  local case = cases[(n % #cases) + 1]",
        '  return wrk.format("GET", case.path, {["Cookie"] = case.cookie})',
        "end",
    ]
    if think:
        lines.append("delay = function() return math.random(1000, 3000) end")
    lines += [
        "done = function(summary, latency, requests)",
        "  local e = summary.errors",
        '  io.write(string.format("BENCH %d %d %d %.1f %.1f %.1f %.1f\\n", summary.requests,',
        "    e.connect + e.read + e.write + e.timeout + e.status, summary.duration,",
        "    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000))",
        "end",
    ]
    script.write_text("\n".join(lines), encoding="utf-8")
    seconds = LOAD_SECONDS * (2 if think else 1)
    output = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(LOAD_CONNECTIONS),
            "-d",
            f"{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"BENCH (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)", output)
    if match is None:
        return {"skipped": f"wrk 输出无法解析：{output[-500:]}"}
    requests, errors, duration_us = (int(match.group(i)) for i in (1, 2, 3))
    p50, p95, p99, worst = (float(match.group(i)) for i in (4, 5, 6, 7))
    return {"requests": requests, "errors": errors, "rps": round(requests / (duration_us / 1e6), 1), "seconds": seconds,
            "p50_ms": p50, "p95_ms": p95, "p99_ms": p99, "max_ms": worst}  # fmt: skip


def server_times(log: str, cases) -> list[dict]:
    """Per kind of page, from gunicorn's access log lines ``path status ms``: how many, the time inside
    the worker (p50, p95) and any status but 200."""
    # one path may serve several seats (the ledger, the to-do list): their labels together
    label_of: dict[str, str] = {}
    for label, _, url in cases:
        path = url.split("?")[0]
        label_of[path] = f"{label_of[path]} / {label}" if path in label_of and label not in label_of[path] else label
    times: dict[str, list[float]] = {}
    failures: dict[str, int] = {}
    for line in log.splitlines():
        parts = line.split()
        if len(parts) != 3 or parts[0] not in label_of:
            continue
        label = label_of[parts[0]]
        times.setdefault(label, []).append(float(parts[2]))
        if parts[1] != "200":
            failures[label] = failures.get(label, 0) + 1
    result = []
    for label in dict.fromkeys(label_of.values()):
        values = sorted(times.get(label, []))
        if not values:
            continue
        result.append({"label": label, "n": len(values), "p50_ms": values[len(values) // 2],
                       "p95_ms": values[min(len(values) - 1, int(len(values) * 0.95))], "failures": failures.get(label, 0)})  # fmt: skip
    return result


def merged(rounds: list[dict]) -> dict:
    """One database's pages from several rounds: each page's median over the rounds' medians, the
    rounds' figures kept beside it (the query counts are the same in every round)."""
    first = rounds[0]
    pages = []
    for index, row in enumerate(first["pages"]):
        medians = [result["pages"][index]["median_ms"] for result in rounds]
        pages.append({**row, "median_ms": round(statistics.median(medians), 1), "rounds_ms": medians})
    pdfs = [result["summary_pdf"]["median_ms"] for result in rounds]
    pdf = {**first["summary_pdf"], "median_ms": round(statistics.median(pdfs), 1), "rounds_ms": pdfs}
    return {**first, "pages": pages, "summary_pdf": pdf}


def verdict(ok: bool) -> str:
    return "✅ 达标" if ok else "❌ 未达标"


def report(small: dict, large: dict, exports: dict, load: dict, scale: int, huge: dict | None = None) -> str:
    """The measured part of docs/performance.md. ``huge`` (``--scale 10``): the pages on a third database
    of 100,000 projects, judged against the small one; exports and load stay on the 10,000 one."""
    m = large["machine"]
    data = f"数据：小库 {small['projects']:,} 个项目 / {small['matters']:,} 个事项；大库 {large['projects']:,} 个项目 / {large['matters']:,} 个事项"
    if huge is not None:
        data += f"；十倍库 {huge['projects']:,} 个项目 / {huge['matters']:,} 个事项"
    sizes = [("小库", small), ("大库", large)] + ([("十倍库", huge)] if huge is not None else [])
    top_name, top = sizes[-1]
    lines = [
        START,
        f"测量时间：{datetime.now().astimezone():%Y-%m-%d %H:%M %z}　机器：{m['cpu']}，{m['cores']} 核，{m['memory_gb']} GiB；"
        f"Python {m['python']}；{m['database']}。",
        "",
        f"{data}（`make bench`{' SCALE=10' if scale == 10 else ''}），每个项目另有 1–2 次来访和相应的档案时间线。",
        "",
        f"### 页面（服务器端时间：各库轮流测 {PAGE_ROUNDS} 轮，每轮预热 2 次后 15 次取中位数（周报 7 次），表中为 {PAGE_ROUNDS} 轮中位数的中位数；PostgreSQL）",
        "",
        f"| 页面 | 查询数（{' / '.join(n for n, _ in sizes)}） | "
        + " | ".join(f"中位数 ms（{n}）" for n, _ in sizes)
        + f" | {top_name} / 小库 | 预算 | 结论 |",
        "|---|---|" + "---|" * len(sizes) + "---|---|---|",
    ]
    rows_of = [{row["label"]: row for row in size["pages"]} for _, size in sizes]
    for row in top["pages"]:
        at = [rows_of_size[row["label"]] for rows_of_size in rows_of]
        base = at[0]
        ratio = row["median_ms"] / base["median_ms"] if base["median_ms"] else 0
        same = len({r["queries"] for r in at}) == 1
        if row["label"].startswith("周报"):
            # the weekly summary's budget is set on the 10,000-project data set
            ms = at[1]["median_ms"]
            budget, ok = f"大库 ≤ {SUMMARY_MS} ms", ms <= SUMMARY_MS
        elif row["label"].startswith("工作台·待办"):
            budget, ok = "查询数不变（负载测试见下）", same
        else:
            budget = f"≤ {PAGE_MS} ms，查询数不变，≤ {SCALE_RATIO}×"
            ok = all(r["median_ms"] <= PAGE_MS for r in at) and same and ratio <= SCALE_RATIO
        lines.append(
            f"| {row['label']} | {' / '.join(str(r['queries']) for r in at)} | "
            + " | ".join(str(r["median_ms"]) for r in at)
            + f" | {ratio:.2f}× | {budget} | {verdict(ok)} |"
        )
    pdf = large["summary_pdf"]
    turns = len(exports["ours"].get("runs", [])) or 1
    lines += [
        "",
        f"周报 PDF（上周，大库）：中位数 {pdf['median_ms'] / 1000:.2f} 秒，{pdf['queries']} 次查询；预算 ≤ {SUMMARY_PDF_S} 秒："
        f"{verdict(pdf['median_ms'] / 1000 <= SUMMARY_PDF_S)}",
        "",
        f"### 全量台账 Excel 导出（大库：{large['projects']:,} 个项目 + {large['matters']:,} 个事项；本系统预热一次后与裸 openpyxl 在同一进程中轮流各运行 {turns} 次、取中位数，django-import-export 在独立进程中运行一次）",
        "",
        "| 方式 | 用时（秒） | 文件大小 | 进程峰值内存 | 相对裸 openpyxl |",
        "|---|---|---|---|---|",
    ]
    ours, iexport = exports["ours"], exports["import_export"]
    bare = ours["bare_seconds"]
    lines += [
        f"| 本系统导出（ORM 读取、台账行、脱敏、预警颜色、公式防护；{ours['cells']:,} 个单元格） | {ours['seconds']} | "
        f"{ours['bytes'] / 1e6:.1f} MB | {ours['peak_mb']} MB | {ours['seconds'] / bare:.2f}× |",
        f"| 裸 openpyxl write-only，写同样的行（同一进程，紧接其后；不含读库） | {bare} | {ours['bare_bytes'] / 1e6:.1f} MB | — | 1.00× |",
        f"| django-import-export（同样的查询集，独立进程） | {iexport['seconds']} | {iexport['bytes'] / 1e6:.1f} MB | "
        f"{iexport['peak_mb']} MB | {iexport['seconds'] / bare:.2f}× |",
        "",
        f"- 本系统 / 裸 openpyxl = {ours['seconds'] / bare:.2f}×，预算 ≤ {BARE_RATIO}×：{verdict(ours['seconds'] / bare <= BARE_RATIO)}",
        f"- django-import-export / 本系统 = {iexport['seconds'] / ours['seconds']:.2f}×，预算 ≥ {IMPORT_EXPORT_SPEEDUP}×："
        f"{verdict(iexport['seconds'] / ours['seconds'] >= IMPORT_EXPORT_SPEEDUP)}",
        f"- 本系统导出的进程峰值内存 {ours['peak_mb']} MB（进程启动后 {ours['start_mb']} MB），预算 < {EXPORT_MB} MB："
        f"{verdict(ours['peak_mb'] < EXPORT_MB)}",
        "",
        "### 负载（nginx + gunicorn + PostgreSQL，deploy/ 中的生产配置，本机回环）",
        "",
    ]
    if "skipped" in load:
        lines.append(f"未运行：{load['skipped']}")
    else:
        lines += [
            "| 负载 | gunicorn 进程 | 持续 | 请求数 | 每秒 | 错误（含 4xx/5xx） | p50 | p95 | p99 | 最大 | 预算 | 结论 |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
            f"| {LOAD_CONNECTIONS} 个用户，每人看完一页停 1–3 秒（经 nginx） | {load['workers']} | {load['seconds']} 秒 | {load['requests']:,} | "
            f"{load['rps']} | {load['errors']} | {load['p50_ms']} ms | {load['p95_ms']} ms | {load['p99_ms']} ms | {load['max_ms']} ms | "
            f"p95 ≤ {LOAD_P95_MS} ms，无错误 | {verdict(load['p95_ms'] <= LOAD_P95_MS and load['errors'] == 0)} |",
        ]
        sat = load["saturation"]
        lines += [
            f"| {LOAD_CONNECTIONS} 个连接不停顿地连发（饱和，测容量；经 nginx） | {load['workers']} | {sat['seconds']} 秒 | {sat['requests']:,} | "
            f"{sat['rps']} | {sat['errors']} | {sat['p50_ms']} ms | {sat['p95_ms']} ms | {sat['p99_ms']} ms | {sat['max_ms']} ms | "
            f"无错误（时延不设预算） | {verdict(sat['errors'] == 0)} |",
            "",
            f"请求轮流访问 {load['paths']} 个地址：区工改办的工作台账和 10 个项目档案，帮办专员与窗口人员的工作台（待办），"
            "帮办专员的工作台账；每个地址带登录后的会话 Cookie（事先逐个确认返回 200，不是跳转到登录页）。",
        ]
        if load.get("by_page"):
            lines += [
                "",
                f"“{LOAD_CONNECTIONS} 个用户”测试中各类页面在 gunicorn 进程内的用时（访问日志；不含排队等候进程的时间）：",
                "",
                "| 页面 | 请求数 | p50 | p95 | 非 200 |",
                "|---|---|---|---|---|",
            ]
            lines += [f"| {row['label']} | {row['n']} | {row['p50_ms']:.0f} ms | {row['p95_ms']:.0f} ms | {row['failures']} |"
                      for row in load["by_page"]]  # fmt: skip
    lines.append(END)
    return "\n".join(lines)


def write_report(text: str, output: Path) -> None:
    current = output.read_text(encoding="utf-8") if output.exists() else f"# 性能与容量\n\n{START}\n{END}\n"
    if START not in current:
        current += f"\n{START}\n{END}\n"
    head, rest = current.split(START, 1)
    tail = rest.split(END, 1)[1] if END in rest else ""
    output.write_text(head + text + tail, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, choices=[1, 10], default=int(os.environ.get("SCALE", "1")))
    parser.add_argument("--no-load", action="store_true")
    parser.add_argument("--output", default=str(ROOT / "docs" / "performance.md"))
    options = parser.parse_args()
    url = base_url()
    small = ensure_database(url, "qinqing_bench_small")
    large = ensure_database(url, "qinqing_bench")
    huge = ensure_database(url, "qinqing_bench_x10") if options.scale == 10 else None
    say("准备小库（1,000 个项目）和大库（10,000 个项目）" + ("、十倍库（100,000 个项目）" if huge else ""))
    prepare(small, 1_000)
    prepare(large, 10_000)
    if huge:
        prepare(huge, 100_000)
    # the databases taking turns, PAGE_ROUNDS times: the machine's speed drifts over minutes, and one
    # database measured in a slow minute would look slower than it is
    databases = [("小库", small), ("大库", large)] + ([("十倍库", huge)] if huge else [])
    rounds: dict[str, list[dict]] = {name: [] for name, _ in databases}
    for turn in range(1, PAGE_ROUNDS + 1):
        for name, database in databases:
            say(f"测量页面（{name}，第 {turn} / {PAGE_ROUNDS} 轮）")
            rounds[name].append(step_json(database, "pages"))
    small_pages, large_pages = merged(rounds["小库"]), merged(rounds["大库"])
    huge_pages = merged(rounds["十倍库"]) if huge else None
    exports = {}
    for kind in ("ours", "import_export"):
        say(f"全量导出：{kind}")
        exports[kind] = step_json(large, "export", "--kind", kind)
    load = {"skipped": "--no-load"} if options.no_load else None
    if load is None:
        say(f"负载测试：{LOAD_CONNECTIONS} 个并发连接，{LOAD_SECONDS} 秒")
        load = load_test(large)
    text = report(small_pages, large_pages, exports, load, options.scale, huge=huge_pages)
    write_report(text, Path(options.output))
    raw = WORK / f"results-{options.scale}x.json"
    raw.write_text(json.dumps({"small": small_pages, "large": large_pages, "huge": huge_pages, "exports": exports, "load": load},
                              ensure_ascii=False, indent=1), encoding="utf-8")  # fmt: skip
    print(text)
    say(f"已写入 {options.output}（原始数据 {raw}）")


if __name__ == "__main__":
    main()
