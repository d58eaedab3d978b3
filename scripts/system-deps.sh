#!/usr/bin/env bash
# Ensure the Debian packages the system needs. Usage: system-deps.sh run|test|bench
#   run:  fonts and libraries for PDF output (WeasyPrint), python3-venv if missing
#   test: the same, plus Chromium for browser tests, poppler-utils (pdffonts) for PDF tests, zbar-tools
#         (zbarimg reads the letter's QR code back) and nginx
#         (its own check of the configuration the load test puts in front of gunicorn)
#   bench: the same as run, plus wrk (the load generator), nginx (in front of gunicorn, as in
#          production) and the PostgreSQL client
# As root, missing packages are installed with apt-get; otherwise the one command to run is printed.
set -euo pipefail
mode="${1:-run}"

packages=(fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0)
if [ "$mode" = "test" ]; then
  packages+=(chromium poppler-utils nginx zbar-tools)
fi
if [ "$mode" = "bench" ]; then
  packages+=(wrk postgresql-client nginx)
fi
if ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then
  packages+=(python3-venv)
fi

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo ">> 安装系统软件包：${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi

echo "!! 缺少系统软件包：${missing[*]}"
echo "!! 请执行：sudo apt-get install -y ${missing[*]}"
if [ "$mode" = "test" ] && [ "${CI:-}" = "true" ]; then
  exit 1
fi
exit 0
