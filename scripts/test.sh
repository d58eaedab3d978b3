#!/usr/bin/env bash
# The whole suite: SQLite, then PostgreSQL, then the browser tests.
# With CI=true a missing PostgreSQL or Chromium fails the run instead of skipping it.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export QINQING_ENV=test
ci="${CI:-}"
summary=()
status=0
results=var/test-results
rm -rf "$results"; mkdir -p "$results"

run_stage() {  # name, then the command
  local name="$1"; shift
  echo
  echo "==================== $name ===================="
  local start=$SECONDS
  if "$@"; then
    summary+=("$name: 通过（$((SECONDS - start)) 秒）")
  else
    summary+=("$name: 失败")
    status=1
  fi
}

# The database stages run on every core (pytest-xdist: one test database per worker); the browser
# stage runs alone, with its live server.
workers="${QINQING_TEST_WORKERS:-auto}"

# 1. SQLite
run_stage "SQLite" env -u DATABASE_URL $PY -m pytest -n "$workers" -m "not browser and not postgresql" -q --junitxml="$results/sqlite.xml" "$@"

# 2. PostgreSQL
if pg_url="$(scripts/pg-url.sh)"; then
  # the SPGL staging database (the city's 前置库, projects.exchange) is a PostgreSQL database of the same server
  run_stage "PostgreSQL (${pg_url%%:*}://…@${pg_url#*@})" env DATABASE_URL="$pg_url" SPGL_DATABASE_URL="${pg_url%/*}/qinqing_spgl" $PY -m pytest -n "$workers" -m "not browser" -q --junitxml="$results/postgresql.xml" "$@"
else
  if [ "$ci" = "true" ]; then
    summary+=("PostgreSQL: 不可用（CI=true 时视为失败）")
    status=1
  else
    summary+=("PostgreSQL: 跳过（不可用；设置 DATABASE_URL 或启动本机 PostgreSQL）")
  fi
fi

# 3. Browser (Playwright driving Debian's Chromium)
chromium="${QINQING_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
  version="$("$chromium" --version 2>/dev/null | head -1)"
  run_stage "浏览器（$version，SQLite）" env -u DATABASE_URL QINQING_CHROMIUM="$chromium" \
    $PY -m pytest -m browser -q --junitxml="$results/browser.xml" "$@"
else
  if [ "$ci" = "true" ]; then
    summary+=("浏览器: 未找到 $chromium（CI=true 时视为失败）")
    status=1
  else
    summary+=("浏览器: 跳过（未找到 $chromium；sudo apt-get install -y chromium）")
  fi
fi

echo
echo "==================== 测试汇总 ===================="
for line in "${summary[@]}"; do echo "  $line"; done
$PY - "$results" <<'PYEOF'
import sys
from pathlib import Path
from xml.etree import ElementTree

passed = failed = skipped = 0
for path in sorted(Path(sys.argv[1]).glob("*.xml")):
    for suite in ElementTree.parse(path).getroot().iter("testsuite"):
        total, errors, failures, skips = (int(suite.get(k, 0)) for k in ("tests", "errors", "failures", "skipped"))
        failed += errors + failures
        skipped += skips
        passed += total - errors - failures - skips
print(f"total: {passed} passed, {failed} failed, {skipped} skipped")
PYEOF
exit $status
