#!/usr/bin/env bash
# Print a DATABASE_URL for the PostgreSQL test run, starting the local cluster if it is stopped.
# Honours DATABASE_URL. As root it makes a dedicated role "qinqing" (password login works whether
# local TCP uses trust or a password); otherwise it tries the postgres user over TCP.
set -uo pipefail
if [ -n "${DATABASE_URL:-}" ]; then
  echo "$DATABASE_URL"
  exit 0
fi
host=127.0.0.1
port=5432
is_root=0
[ "$(id -u)" = "0" ] && is_root=1

ready() { pg_isready -q -h "$host" -p "$port" >/dev/null 2>&1; }

if ! command -v pg_isready >/dev/null; then
  echo "未找到 PostgreSQL 客户端（pg_isready）。" >&2
  exit 1
fi
if ! ready && [ $is_root = 1 ] && command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
  version="$(ls /etc/postgresql | sort -V | tail -1)"
  echo ">> 启动 PostgreSQL $version main" >&2
  pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
  for _ in $(seq 1 30); do ready && break; sleep 1; done
fi
if ! ready; then
  echo "PostgreSQL 未在 $host:$port 运行。" >&2
  exit 1
fi

if [ $is_root = 1 ] && id postgres >/dev/null 2>&1; then
  # the SQL goes on stdin and psql runs from /: the checkout may sit where postgres cannot read (/root)
  (cd / && runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -d postgres) >/dev/null <<'SQL' || { echo "无法创建测试角色 qinqing。" >&2; exit 1; }
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'qinqing') THEN
    CREATE ROLE qinqing LOGIN CREATEDB PASSWORD 'qinqing';
  ELSE
    ALTER ROLE qinqing LOGIN CREATEDB PASSWORD 'qinqing';
  END IF;
END
$$;
SQL
  echo "postgres://qinqing:qinqing@$host:$port/qinqing"
  exit 0
fi
if PGCONNECT_TIMEOUT=5 psql -h "$host" -p "$port" -U postgres -d postgres -Atqc "select 1" >/dev/null 2>&1; then
  echo "postgres://postgres@$host:$port/qinqing"
  exit 0
fi
echo "无法以 postgres 用户连接 $host:$port；请设置 DATABASE_URL=postgres://用户:密码@$host:$port/qinqing（该用户须有 CREATEDB 权限）。" >&2
exit 1
