#!/usr/bin/env bash
# The bash -c snippets below are single-quoted on purpose: they expand in the inner shell.
# shellcheck disable=SC2016
# Put one release of 亲清帮办 into service on this application server (docs/deployment.md, 六).
#
#   sudo /srv/qinqing/releases/<版本>/deploy/release.sh --migrate   # the FIRST server of a release
#   sudo /srv/qinqing/releases/<版本>/deploy/release.sh             # every other server, and rollbacks
#
# Steps: virtual environment from the internal package mirror (pip.conf), check --deploy, with
# --migrate a backup then migrate as the owner role and the grants, collectstatic, switch the
# /srv/qinqing/current link, restart gunicorn and the worker, check the login page answers.
# Stops at the first failure; until the link is switched, the running version is untouched.
set -euo pipefail

release="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
current=/srv/qinqing/current
env_file=/etc/qinqing/qinqing.env
migrate_env=/etc/qinqing/migrate.env
migrate=0
for arg in "$@"; do
    case "$arg" in
        --migrate) migrate=1 ;;
        *) echo "未知参数：$arg（只接受 --migrate）" >&2; exit 2 ;;
    esac
done

say() { printf '>> %s\n' "$*"; }
die() { printf '!! %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "请以 root 运行（sudo）。"
umask 022  # the release is root's, readable by the service account
[ -r "$env_file" ] || die "缺少 $env_file（样例：deploy/qinqing.env）。"
[ -f "$release/manage.py" ] || die "$release 不是亲清帮办的发布目录。"
id qinqing >/dev/null 2>&1 || die "缺少系统账号 qinqing（docs/deployment.md 二.1）。"

# Run a manage.py command as the service account, with the production settings.
manage() {
    runuser -u qinqing -- bash -c 'set -a; . "$1"; set +a; cd "$2"; shift 2; exec .venv/bin/python manage.py "$@"' \
        _ "$env_file" "$release" "$@"
}
# The same as root, with the owner role's DATABASE_URL from migrate.env (mode 600, root only: the
# service account never sees the owner's password).
manage_as_owner() {
    bash -c 'set -a; . "$1"; . "$2"; set +a; cd "$3"; shift 3; exec .venv/bin/python manage.py "$@"' \
        _ "$env_file" "$migrate_env" "$release" "$@"
}

say "发布目录：$release"
if [ ! -x "$release/.venv/bin/python" ]; then
    say "创建虚拟环境，从内部镜像安装依赖（requirements.lock 锁定版本，逐个校验哈希）"
    # Debian's own Python (python3-venv): readable by the service account, whatever root's PATH says
    /usr/bin/python3 -m venv "$release/.venv"
    "$release/.venv/bin/pip" install --quiet --no-cache-dir --require-hashes --no-deps -r "$release/requirements.lock"
fi

say "检查生产配置（check --deploy）"
manage check --deploy --fail-level WARNING

if [ "$migrate" = 1 ]; then
    [ -r "$migrate_env" ] || die "缺少 $migrate_env（属主角色的 DATABASE_URL）。"
    # 0: the database has tables (back it up first); 3: it is empty (first installation); else: no connection
    state=0
    manage shell --verbosity 0 -c "import sys; from django.db import connection; sys.exit(0 if 'django_migrations' in connection.introspection.table_names() else 3)" || state=$?
    case "$state" in
        0) say "迁移前备份"; manage backup ;;
        3) say "数据库是空的（首次安装），不做迁移前备份" ;;
        *) die "无法连接数据库（DATABASE_URL），未做任何改动。" ;;
    esac
    say "迁移数据库（属主角色）"
    manage_as_owner migrate --noinput
    say "应用角色的权限（deploy/postgresql/grants.sql）"
    bash -c 'set -a; . "$1"; set +a; exec psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -f "$2"' \
        _ "$migrate_env" "$release/deploy/postgresql/grants.sql" >/dev/null
    # stored due dates follow the calendar rules of this release (e.g. statutory holidays of an unpublished year)
    say "按本版本的工作日历重算未办结事项的到期日"
    manage recompute_deadlines
else
    say "确认数据库已迁移到本版本"
    manage migrate --check >/dev/null || die "数据库缺少本版本的迁移：请先在一台服务器上用 --migrate 发布。"
fi

say "收集静态文件"
manage collectstatic --noinput --verbosity 0

previous="$(readlink -e "$current" 2>/dev/null || true)"
say "切换 $current → $release（上一版本：${previous:-无}）"
ln -sfn "$release" "$current.new"
mv -T "$current.new" "$current"
[ -n "$previous" ] && [ "$previous" != "$release" ] && printf '%s\n' "$previous" > /srv/qinqing/previous-release

say "重启服务"
systemctl restart qinqing
if systemctl is-enabled --quiet qinqing-worker 2>/dev/null; then
    systemctl restart qinqing-worker
fi

say "检查登录页"
host="$(runuser -u qinqing -- bash -c 'set -a; . "$1"; set +a; printf %s "${ALLOWED_HOSTS%%,*}"' _ "$env_file")"
bind="$(runuser -u qinqing -- bash -c 'set -a; . "$1"; set +a; printf %s "${GUNICORN_BIND:-127.0.0.1:8000}"' _ "$env_file")"
for _ in $(seq 1 30); do
    if curl -fs --max-time 5 -o /dev/null -H "Host: $host" -H "X-Forwarded-Proto: https" "http://$bind/accounts/login/"; then
        say "完成：$(basename "$release") 已上线。"
        exit 0
    fi
    sleep 1
done
die "登录页 30 秒内没有响应：journalctl -u qinqing -n 50；回退见 docs/deployment.md 六.3。"
