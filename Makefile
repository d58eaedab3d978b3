# 亲清帮办 — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# the lock files name no index or local path: the same files install from PyPI or from an internal mirror
LOCK_OPTIONS := --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links

.PHONY: help run test lint format install lock clean bench backup restore

help: ## 列出所有命令
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-10s %s\n", $$1, $$2}'

# every package (dependencies of dependencies too) at the version and with the SHA-256 hashes that
# requirements-dev.lock names: pip refuses a file whose hash differs (a replaced or tampered package)
$(STAMP): pyproject.toml requirements-dev.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "需要 Python 3.11 或更新版本")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --require-hashes --no-deps -r requirements-dev.lock
	@touch $(STAMP)

install: $(STAMP) ## 创建虚拟环境并安装 Python 依赖（按 requirements-dev.lock 锁定版本并校验哈希）

run: ## 安装缺少的依赖、迁移数据库、载入演示数据，并在 http://127.0.0.1:8000 启动
	@scripts/system-deps.sh run
	@$(MAKE) --no-print-directory install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@# the city's staging database (SPGL 前置库): a local copy with the city's demo rows, exchanged once, then every 10 minutes
	$(PY) manage.py spgl_staging
	$(PY) manage.py spgl_demo
	$(PY) manage.py spgl_exchange --schedule
	@echo
	@echo "打开 http://127.0.0.1:8000 ，用上面的演示账号登录。按 Ctrl+C 停止。"
	@# the background worker for long exports runs beside the server and stops with it
	@$(PY) manage.py db_worker --interval 1 & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(PY) manage.py runserver 127.0.0.1:8000

test: ## 全部测试：SQLite、PostgreSQL、浏览器
	@scripts/system-deps.sh test
	@$(MAKE) --no-print-directory install
	@scripts/test.sh

bench: ## 性能测试：向 PostgreSQL 生成 1 万个项目（SCALE=10 为 10 万），测量并写入 docs/performance.md
	@scripts/system-deps.sh bench
	@$(MAKE) --no-print-directory install
	$(PY) -m ledger.bench.run $(if $(SCALE),--scale $(SCALE))

lint: install ## ruff 检查与格式检查
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install ## ruff 自动修复与格式化
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

backup: install ## 备份数据库和导出存档，加密后存到 var/backups/qinqing-YYYYMMDD-HHMMSS.tar.enc
	$(PY) manage.py backup

restore: install ## 从备份恢复（先校验，会覆盖当前数据）：make restore FILE=var/backups/…tar
	@test -n "$(FILE)" || { echo "请指定备份文件：make restore FILE=var/backups/qinqing-YYYYMMDD-HHMMSS.tar.enc" >&2; exit 1; }
	$(PY) manage.py restore "$(FILE)"

lock: ## 重新生成带哈希的锁定文件 requirements.lock（运行）与 requirements-dev.lock（运行＋开发），pip-tools 解析 pyproject.toml
	rm -rf var/lock-venv && $(PYTHON) -m venv var/lock-venv
	var/lock-venv/bin/pip install -q pip-tools
	var/lock-venv/bin/pip-compile -q $(LOCK_OPTIONS) -o requirements.lock pyproject.toml
	var/lock-venv/bin/pip-compile -q $(LOCK_OPTIONS) --extra dev -c requirements.lock -o requirements-dev.lock pyproject.toml
	rm -rf var/lock-venv

clean: ## 删除虚拟环境与本地数据（var/）
	rm -rf $(VENV) var
