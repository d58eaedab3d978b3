"""Deployment: docs/deployment.md and the example configuration in deploy/ agree with the code.

The operators configure the system from docs/deployment.md and deploy/; these tests keep both true to
what qinqing/settings.py, deploy/gunicorn.conf.py and ledger/imports.py actually do.
"""

from __future__ import annotations

import ast
import configparser
import os
import re
import secrets
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "deployment.md"
DEPLOY = ROOT / "deploy"
SETTINGS = ROOT / "qinqing" / "settings.py"

# Variables the doc and deploy/qinqing.env may name that Django's settings do not read: gunicorn's own
# (read by deploy/gunicorn.conf.py) and libpq's.
LIBPQ_VARIABLES = {"PGSSLMODE"}
STANDARD_VARIABLES = {"SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "DATABASE_URL"}
ENV_READERS = {"env_str", "env_bool", "env_int", "env_list", "env_choice", "env_database"}


def _read_names(path: Path) -> set[str]:
    """Environment variable names a Python file reads: through the typed helpers of qinqing/env.py,
    os.environ.get / os.getenv, or os.environ[...]."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            is_environ_get = (
                isinstance(func, ast.Attribute)
                and called == "get"
                and isinstance(func.value, ast.Attribute)
                and func.value.attr == "environ"
            )
            if called in ENV_READERS or called == "getenv" or is_environ_get:
                names.add(node.args[0].value)
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "environ"
            and isinstance(node.slice, ast.Constant)
        ):
            names.add(node.slice.value)
    return names


def _settings_variables() -> set[str]:
    return _read_names(SETTINGS)


def _gunicorn_variables() -> set[str]:
    return _read_names(DEPLOY / "gunicorn.conf.py")


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


def _doc_table_variables() -> set[str]:
    """The first column of the first table under the heading that contains 环境变量一览."""
    lines = _doc().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("#") and "环境变量一览" in line)
    names: set[str] = set()
    in_table = False
    for line in lines[start + 1 :]:
        if line.startswith("#") or (in_table and not line.startswith("|")):
            break  # the table ends at the first line that is not a row
        in_table = in_table or line.startswith("|")
        match = re.match(r"^\|\s*`([A-Z][A-Z0-9_]*)`", line)
        if match:
            names.add(match.group(1))
    return names


# --- environment variables ----------------------------------------------------------------------


def test_settings_reads_the_variables_this_test_knows_how_to_find():
    """GIVEN the parser WHEN it reads settings.py THEN it finds the variables the refusal tests rely on."""
    found = _settings_variables()
    assert STANDARD_VARIABLES | {"QINQING_ENV", "QINQING_BEHIND_PROXY", "QINQING_MEDIA_ROOT"} <= found


def test_every_qinqing_variable_the_doc_names_is_read_by_settings():
    named = set(re.findall(r"\bQINQING_[A-Z0-9]+(?:_[A-Z0-9]+)*\b", _doc()))
    assert named, "docs/deployment.md names no QINQING_ variable"
    unknown = named - _settings_variables()
    assert not unknown, f"docs/deployment.md names variables that qinqing/settings.py never reads: {sorted(unknown)}"


def test_the_doc_lists_exactly_the_variables_settings_reads():
    listed = _doc_table_variables()
    read = _settings_variables()
    assert listed >= STANDARD_VARIABLES
    assert not listed - read, f"listed in docs/deployment.md but not read by settings.py: {sorted(listed - read)}"
    assert not read - listed, f"read by settings.py but missing from docs/deployment.md: {sorted(read - listed)}"


def test_the_example_environment_file_names_only_variables_that_are_read():
    text = (DEPLOY / "qinqing.env").read_text(encoding="utf-8")
    named = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))
    unknown = named - _settings_variables() - _gunicorn_variables() - LIBPQ_VARIABLES
    assert not unknown, f"deploy/qinqing.env sets variables nothing reads: {sorted(unknown)}"
    assert {"QINQING_ENV", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "QINQING_BEHIND_PROXY"} <= named


def _environment_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def _manage(*args: str, environ: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("QINQING_", "DJANGO_"))}
    for name in STANDARD_VARIABLES:
        clean.pop(name, None)
    clean.update(environ)
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_the_example_environment_file_refuses_to_start_until_the_key_is_replaced():
    """GIVEN deploy/qinqing.env as shipped WHEN the system starts THEN it refuses, naming SECRET_KEY."""
    result = _manage("check", environ=_environment_file(DEPLOY / "qinqing.env"))
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_example_environment_file_passes_check_deploy_with_a_real_key():
    """The production settings the doc tells operators to use are the ones that pass check --deploy
    (tests/qinqing/test_settings.py checks the bare minimum; this checks the documented file)."""
    environ = _environment_file(DEPLOY / "qinqing.env") | {"SECRET_KEY": secrets.token_urlsafe(64)}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", environ=environ)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout
    assert "check --deploy --fail-level WARNING" in _doc()


# --- gunicorn -----------------------------------------------------------------------------------------


def _gunicorn_config() -> dict:
    """The settings deploy/gunicorn.conf.py defines, read the way gunicorn reads them (exec)."""
    source = (DEPLOY / "gunicorn.conf.py").read_text(encoding="utf-8")
    code = compile(source, str(DEPLOY / "gunicorn.conf.py"), "exec")
    namespace: dict = {"__file__": str(DEPLOY / "gunicorn.conf.py"), "__name__": "__config__"}
    exec(code, namespace)  # noqa: S102 - gunicorn itself executes this file the same way
    return namespace


@pytest.fixture
def no_gunicorn_overrides(monkeypatch):
    for name in _gunicorn_variables():
        monkeypatch.delenv(name, raising=False)


def test_gunicorn_config_compiles_and_sets_the_essentials(no_gunicorn_overrides):
    config = _gunicorn_config()
    assert config["bind"] == ["127.0.0.1:8000"]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert config["workers"] == 2 * cores + 1
    assert 30 <= config["timeout"] <= 120
    assert 0 < config["graceful_timeout"] <= config["timeout"]
    assert config["max_requests"] > 0
    assert 0 < config["max_requests_jitter"] < config["max_requests"]
    assert config["preload_app"] is True
    assert config["forwarded_allow_ips"] == "127.0.0.1,::1"
    assert callable(config["pre_fork"])


def test_gunicorn_access_log_has_the_time_and_no_query_string(no_gunicorn_overrides):
    """Search conditions may hold a phone number: the access log keeps the path only."""
    log_format = _gunicorn_config()["access_log_format"]
    assert "%(M)s" in log_format or "%(D)s" in log_format or "%(T)s" in log_format
    assert "%(U)s" in log_format
    assert "%(r)s" not in log_format
    assert "%(q)s" not in log_format


def test_gunicorn_reads_its_overrides_from_the_environment(monkeypatch):
    monkeypatch.setenv("GUNICORN_BIND", "10.20.1.11:8000")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.20.1.5")
    config = _gunicorn_config()
    assert (config["bind"], config["workers"], config["forwarded_allow_ips"]) == (["10.20.1.11:8000"], 3, "10.20.1.5")


def test_gunicorn_accepts_the_config_file():
    gunicorn = Path(sys.executable).with_name("gunicorn")
    result = subprocess.run(  # noqa: S603
        [str(gunicorn), "--check-config", "--config", "deploy/gunicorn.conf.py", "qinqing.wsgi:application"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "QINQING_ENV"} | {"QINQING_ENV": "test"},
    )
    assert result.returncode == 0, result.stderr + result.stdout


# --- nginx ------------------------------------------------------------------------------------------------


def _nginx_tokens(text: str) -> list[str]:
    tokens, i = [], 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char == "#":
            i = text.find("\n", i) if "\n" in text[i:] else len(text)
        elif char in "{};":
            tokens.append(char)
            i += 1
        elif char in "\"'":
            end = text.index(char, i + 1)
            tokens.append(text[i + 1 : end])
            i = end + 1
        else:
            end = i
            while end < len(text) and not text[end].isspace() and text[end] not in "{};":
                end += 1
            tokens.append(text[i:end])
            i = end
    return tokens


def _nginx_directives(text: str) -> list[tuple[tuple[str, ...], str, list[str]]]:
    """Every directive as (enclosing blocks, name, arguments); a block is 'name args…'."""
    found, stack, words = [], [], []
    for token in _nginx_tokens(text):
        if token == ";":
            found.append((tuple(stack), words[0], words[1:]))
            words = []
        elif token == "{":
            found.append((tuple(stack), words[0], words[1:]))
            stack.append(" ".join(words))
            words = []
        elif token == "}":
            assert not words, f"unterminated directive before '}}': {words}"
            stack.pop()
        else:
            words.append(token)
    assert not stack, "unbalanced braces in deploy/nginx.conf"
    assert not words, "a directive without its ';' at the end of deploy/nginx.conf"
    return found


INCLUDE_APP = "include snippets/qinqing-app.conf;"


def _nginx() -> list[tuple[tuple[str, ...], str, list[str]]]:
    """The site as nginx reads it: deploy/nginx.conf with deploy/nginx-app.conf in place of its include."""
    site = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    assert site.count(INCLUDE_APP) == 1, "the HTTPS server block includes the application part once"
    return _nginx_directives(site.replace(INCLUDE_APP, (DEPLOY / "nginx-app.conf").read_text(encoding="utf-8")))


def _size_in_bytes(value: str) -> int:
    units = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
    match = re.fullmatch(r"(\d+)([kmg]?)", value.lower())
    assert match, f"not an nginx size: {value}"
    return int(match.group(1)) * units[match.group(2)]


def test_nginx_accepts_an_upload_at_least_as_large_as_the_import_limit():
    from ledger.imports import MAX_UPLOAD_BYTES

    sizes = [_size_in_bytes(args[0]) for _, name, args in _nginx() if name == "client_max_body_size"]
    assert sizes, "deploy/nginx.conf sets no client_max_body_size (nginx's default is 1 MB)"
    assert min(sizes) >= MAX_UPLOAD_BYTES
    assert f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB" in _doc()


def test_nginx_does_not_serve_media_or_any_file_from_disk():
    """Exports and uploads are downloaded only through the application's permission check
    (docs/decisions.md, decision 11); static files come from whitenoise."""
    directives = _nginx()
    locations = [" ".join(args) for _, name, args in directives if name == "location"]
    assert not [loc for loc in locations if "/media" in loc], locations
    assert not [d for d in directives if d[1] in {"root", "alias", "try_files", "autoindex"}]
    assert not [d for d in directives if d[1].startswith("proxy_cache")], "app pages must not be cached by nginx"
    proxied = {context[-1] for context, name, _ in directives if name == "proxy_pass"}
    assert {"location /", "location /static/"} <= proxied, proxied


def test_nginx_forwards_the_address_the_audit_log_reads_and_the_scheme():
    headers = {args[0].lower(): args[1] for _, name, args in _nginx() if name == "proxy_set_header"}
    # qinqing/audit.py::client_ip takes the LAST hop of X-Forwarded-For: the one nginx appends.
    assert headers["x-forwarded-for"] == "$proxy_add_x_forwarded_for"
    assert headers["x-forwarded-proto"] == "$scheme"
    assert headers["host"] == "$host"


def test_nginx_waits_longer_than_gunicorn_and_speaks_tls_and_http2(no_gunicorn_overrides):
    directives = _nginx()
    read_timeouts = [int(args[0].rstrip("s")) for _, name, args in directives if name == "proxy_read_timeout"]
    assert read_timeouts
    assert min(read_timeouts) > _gunicorn_config()["timeout"]
    listens = [args for _, name, args in directives if name == "listen" and "ssl" in args]
    assert listens
    assert all("http2" in args for args in listens)
    assert any(name == "return" and args[0] == "301" for _, name, args in directives)


# --- systemd -------------------------------------------------------------------------------------------------


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((DEPLOY / name).read_text(encoding="utf-8"))
    return parser


def test_systemd_units_run_gunicorn_and_the_worker_with_the_documented_files(no_gunicorn_overrides):
    media_root = _environment_file(DEPLOY / "qinqing.env")["QINQING_MEDIA_ROOT"]
    web, worker = _unit("qinqing.service"), _unit("qinqing-worker.service")
    assert "deploy/gunicorn.conf.py" in web["Service"]["ExecStart"]
    assert "qinqing.wsgi:application" in web["Service"]["ExecStart"]
    assert "manage.py db_worker" in worker["Service"]["ExecStart"]
    for unit in (web, worker):
        service = unit["Service"]
        assert service["EnvironmentFile"] == "/etc/qinqing/qinqing.env"
        assert service["User"] == "qinqing"
        assert media_root in service["ReadWritePaths"].split()
        assert unit["Install"]["WantedBy"] == "multi-user.target"
    # systemd waits for gunicorn's graceful shutdown before it kills anything
    assert int(web["Service"]["TimeoutStopSec"]) > _gunicorn_config()["graceful_timeout"]


# --- PostgreSQL ------------------------------------------------------------------------------------------------


def test_the_wal_archive_script_copies_once_and_never_overwrites(tmp_path):
    script = DEPLOY / "postgresql" / "archive-wal.sh"
    archive = tmp_path / "archive"
    archive.mkdir()
    segment = tmp_path / "000000010000000000000001"
    segment.write_bytes(b"wal" * 1000)

    def archive_it() -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603
            ["/bin/sh", str(script), str(segment), segment.name, str(archive)], capture_output=True, text=True
        )

    assert archive_it().returncode == 0
    assert (archive / segment.name).read_bytes() == segment.read_bytes()
    assert archive_it().returncode == 0, "the same segment again (after a crash) counts as archived"
    segment.write_bytes(b"different")
    again = archive_it()
    assert again.returncode != 0
    assert "refusing" in again.stderr
    assert (archive / segment.name).read_bytes() == b"wal" * 1000
    assert sorted(p.name for p in archive.iterdir()) == [segment.name], "no temporary file left behind"
    missing = subprocess.run(  # noqa: S603
        ["/bin/sh", str(script), str(segment), segment.name, str(tmp_path / "not-mounted")], capture_output=True
    )
    assert missing.returncode != 0


def _superuser_psql() -> list[str] | None:
    """psql as the PostgreSQL superuser: as root through the postgres account (CI, the dev machines)."""
    if os.geteuid() != 0 or not shutil.which("psql") or not shutil.which("runuser"):
        return None
    if subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:  # noqa: S607
        return None
    ready = subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], capture_output=True)  # noqa: S607
    if ready.returncode != 0:
        subprocess.run([str(ROOT / "scripts" / "pg-url.sh")], capture_output=True, timeout=120)  # noqa: S603
    return ["runuser", "-u", "postgres", "--", "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"]


@pytest.mark.postgresql
def test_the_application_role_may_only_read_and_append_the_audit_log():
    """GIVEN roles.sql and grants.sql run on a fresh database, tables created by the owner (as a
    migration would) WHEN the application role works THEN it reads and writes every table, only reads
    and appends the audit log, truncates nothing, creates nothing, and tables of later migrations are
    open to it too."""
    psql = _superuser_psql()
    if psql is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL superuser access (root and the postgres account) is needed with CI=true")
        pytest.skip("needs root and a local PostgreSQL with the postgres account")
    tag = uuid.uuid4().hex[:10]
    owner, app, db = f"t_owner_{tag}", f"t_app_{tag}", f"t_db_{tag}"
    names = ["-v", f"owner_role={owner}", "-v", f"app_role={app}", "-v", f"db={db}"]

    def run(*args: str, sql: str | None = None, database: str = "postgres") -> subprocess.CompletedProcess:
        # the SQL goes on stdin and psql runs from /: the postgres account may not read the checkout
        # (a clone under /root), so it is never asked to open a file or a directory of it
        return subprocess.run(  # noqa: S603
            [*psql, "-d", database, *names, *args], input=sql, capture_output=True, text=True, timeout=60, cwd="/"
        )

    def as_role(role: str, sql: str) -> subprocess.CompletedProcess:
        return run(sql=f"SET ROLE {role};\n{sql}\n", database=db)

    try:
        for _ in range(2):  # roles.sql may be run again
            result = run(sql=(DEPLOY / "postgresql" / "roles.sql").read_text(encoding="utf-8"))
            assert result.returncode == 0, result.stderr
        created = as_role(
            owner,
            "CREATE TABLE qinqing_auditentry (id bigserial PRIMARY KEY, detail text);"
            "CREATE TABLE projects_project (id bigserial PRIMARY KEY, name text);",
        )
        assert created.returncode == 0, created.stderr
        for _ in range(2):  # grants.sql runs after every migrate
            result = run(sql=(DEPLOY / "postgresql" / "grants.sql").read_text(encoding="utf-8"), database=db)
            assert result.returncode == 0, result.stderr
        later = as_role(owner, "CREATE TABLE ledger_later (id bigserial PRIMARY KEY, name text);")
        assert later.returncode == 0, later.stderr

        allowed = [
            "INSERT INTO qinqing_auditentry (detail) VALUES ('登录')",
            "SELECT count(*) FROM qinqing_auditentry",
            "INSERT INTO projects_project (name) VALUES ('a')",
            "UPDATE projects_project SET name = 'b'",
            "DELETE FROM projects_project",
            "INSERT INTO ledger_later (name) VALUES ('a')",
            "UPDATE ledger_later SET name = 'b'",
            "DELETE FROM ledger_later",
        ]
        for sql in allowed:
            result = as_role(app, sql + ";")
            assert result.returncode == 0, f"{sql}: {result.stderr}"
        refused = [
            "UPDATE qinqing_auditentry SET detail = 'x'",
            "DELETE FROM qinqing_auditentry",
            "TRUNCATE qinqing_auditentry",
            "TRUNCATE projects_project",
            "DROP TABLE projects_project",
            "ALTER TABLE projects_project ADD COLUMN x int",
            "CREATE TABLE intruder (id int)",
        ]
        for sql in refused:
            result = as_role(app, sql + ";")
            assert result.returncode != 0, f"the application role may: {sql}"
            assert "permission denied" in result.stderr or "must be owner" in result.stderr, result.stderr
        timezone = run("-At", sql=f"SELECT setconfig FROM pg_db_role_setting WHERE setrole = '{app}'::regrole;")  # noqa: S608
        assert "timezone=utc" in timezone.stdout.lower()
        assert "statement_timeout=300s" in timezone.stdout
    finally:
        run(sql=f"DROP DATABASE IF EXISTS {db};")
        run(sql=f"DROP ROLE IF EXISTS {app}; DROP ROLE IF EXISTS {owner};")


# --- the document itself -----------------------------------------------------------------------------------------


def test_every_deploy_file_the_doc_names_exists_and_every_deploy_file_is_named():
    doc = _doc()
    named = set(re.findall(r"deploy/[A-Za-z0-9_./@-]*[A-Za-z0-9_]", doc))
    missing = [name for name in named if not (ROOT / name).exists()]
    assert not missing, missing
    shipped = {str(p.relative_to(ROOT)) for p in DEPLOY.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert not shipped - named, f"deploy/ files docs/deployment.md never mentions: {sorted(shipped - named)}"


def test_the_doc_links_the_backup_and_decision_documents_instead_of_repeating_them():
    doc = _doc()
    assert "backup.md" in doc
    assert (ROOT / "docs" / "backup.md").exists()
    assert "decisions.md" in doc
    assert "performance.md" in doc
    assert "qinqing_auditentry" in doc
    assert "db_worker" in doc
    assert "DISABLE_SERVER_SIDE_CURSORS" in doc


def test_nginx_accepts_the_production_site(tmp_path):
    """`nginx -t` on deploy/nginx.conf with deploy/nginx-app.conf in place of its snippet, as installed in
    section 二 (a throw-away certificate stands in for the unit's; log files go to a temporary folder)."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists() or not shutil.which("openssl"):
        if os.environ.get("CI") == "true":
            pytest.fail("nginx and openssl are installed by scripts/system-deps.sh test")
        pytest.skip("nginx or openssl not installed")
    key, cert = tmp_path / "site.key", tmp_path / "site.pem"
    openssl = shutil.which("openssl")
    subject = "/CN=qqbb.jiangbei.gov.cn"
    made = subprocess.run(  # noqa: S603
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            subject,
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    site = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    site = site.replace(INCLUDE_APP, f"include {DEPLOY / 'nginx-app.conf'};")
    site = site.replace("/etc/nginx/tls/qqbb.jiangbei.gov.cn.fullchain.pem", str(cert))
    site = site.replace("/etc/nginx/tls/qqbb.jiangbei.gov.cn.key", str(key))
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    temp = " ".join(
        f"{name}_temp_path {tmp_path / name};" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path / 'nginx.pid'}; error_log {tmp_path / 'error.log'};\nevents {{}}\n"
        f"http {{ access_log off; {temp} include {tmp_path / 'site.conf'}; }}\n",
        encoding="utf-8",
    )
    result = subprocess.run([nginx, "-t", "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True)  # noqa: S603
    assert result.returncode == 0, result.stderr
