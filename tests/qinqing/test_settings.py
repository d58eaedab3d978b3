"""Settings: typed environment readers and the production mode."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from qinqing import env

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("0", False), ("YES", True), ("off", False)])
def test_env_bool(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)
    assert env.env_bool("X_FLAG", default=not expected) is expected


def test_env_bool_refuses_nonsense(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env.env_bool("X_FLAG", default=False)


def test_env_int_bounds(monkeypatch):
    monkeypatch.setenv("X_NUM", "0")
    with pytest.raises(ImproperlyConfigured, match="X_NUM.*最小值为 1"):
        env.env_int("X_NUM", 5, minimum=1)
    monkeypatch.setenv("X_NUM", "12")
    assert env.env_int("X_NUM", 5, minimum=1) == 12


def test_env_database(monkeypatch, tmp_path):
    monkeypatch.setenv("X_DB", "postgres://u:p%40ss@db.local:5433/hall")
    config = env.env_database("X_DB", default_sqlite=tmp_path / "x.sqlite3")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["USER"], config["PASSWORD"], config["HOST"], config["PORT"], config["NAME"]) == (
        "u",
        "p@ss",
        "db.local",
        "5433",
        "hall",
    )
    monkeypatch.setenv("X_DB", "mysql://x/y")
    with pytest.raises(ImproperlyConfigured, match="X_DB"):
        env.env_database("X_DB", default_sqlite=tmp_path / "x.sqlite3")
    monkeypatch.delenv("X_DB")
    assert env.env_database("X_DB", default_sqlite=tmp_path / "x.sqlite3")["ENGINE"].endswith("sqlite3")


def _manage(*args: str, **environ: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    clean.update(environ)
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_secret_key():
    result = _manage("check", QINQING_ENV="production", ALLOWED_HOSTS="hall.example")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = _manage("check", QINQING_ENV="production", SECRET_KEY=secrets.token_urlsafe(64))
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_wrong_value_names_the_variable():
    result = _manage("check", QINQING_SESSION_IDLE_MINUTES="半小时")
    assert result.returncode != 0
    assert "QINQING_SESSION_IDLE_MINUTES" in result.stderr


def test_production_refuses_to_start_without_postgresql():
    result = _manage(
        "check", QINQING_ENV="production", SECRET_KEY=secrets.token_urlsafe(64), ALLOWED_HOSTS="hall.example"
    )
    assert result.returncode != 0
    assert "需要 PostgreSQL" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_passes_check_deploy_without_warnings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        QINQING_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="hall.example",
        DATABASE_URL="postgres://qinqing_app@127.0.0.1:5432/qinqing",  # check does not connect
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_seed_demo_refuses_production():
    result = _manage(
        "seed_demo", QINQING_ENV="production", SECRET_KEY=secrets.token_urlsafe(64), ALLOWED_HOSTS="hall.example"
    )
    assert result.returncode != 0
    assert "生产模式" in result.stderr


def test_chinese_locale(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True
