"""Small typed readers for environment variables.

Every setting that comes from the environment goes through one of these helpers, so a bad value
stops the start with a message naming the variable instead of surfacing later as a strange error.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    return None if value is None else value.strip()


def env_str(name: str, default: str = "") -> str:
    value = _raw(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"环境变量 {name}={value!r} 不是有效的布尔值；请使用 true/false、1/0、yes/no 或 on/off。"
    )


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"环境变量 {name}={value!r} 不是整数。") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"环境变量 {name}={number} 过小，最小值为 {minimum}。")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"环境变量 {name}={number} 过大，最大值为 {maximum}。")
    return number


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = _raw(name)
    if value is None or value == "":
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"环境变量 {name}={value!r} 无效；可选值：{', '.join(choices)}。")
    return value


# SQLite (``make run`` and the quick test run): write-ahead logging, so a page or a foreground export reads
# while the background worker writes and neither waits for the other; a writer that meets another waits up
# to 20 seconds instead of failing at once with “database is locked”, and takes its write lock when its
# transaction begins (IMMEDIATE), so it waits there rather than failing half-way when a read turns into a
# write; synchronous=NORMAL is WAL's recommended durability (a power cut may lose the last commits, never
# corrupt the file). An in-memory database ignores the journal mode.
SQLITE_OPTIONS = {
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}


def _sqlite(path: str) -> dict:
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": path, "OPTIONS": dict(SQLITE_OPTIONS)}


def env_database(name: str, *, default_sqlite: Path) -> dict:
    """Read a database URL (``postgres://user:pass@host:port/db`` or ``sqlite:///path``)."""
    value = _raw(name)
    if not value:
        return _sqlite(str(default_sqlite))
    parts = urlsplit(value)
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        database = unquote(parts.path.lstrip("/"))
        if not database:
            raise ImproperlyConfigured(f"环境变量 {name} 缺少数据库名，例如 postgres://用户@主机:5432/qinqing。")
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"环境变量 {name} 中的端口无效。") from None
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": database,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        if value.startswith("sqlite:///") and not value.startswith("sqlite:////"):
            path = path.lstrip("/")
        if not path:
            raise ImproperlyConfigured(f"环境变量 {name} 缺少 SQLite 文件路径，例如 sqlite:///var/qinqing.sqlite3。")
        return _sqlite(path)
    raise ImproperlyConfigured(
        f"环境变量 {name} 的协议 {parts.scheme or '(空)'!r} 不受支持；请使用 postgres:// 或 sqlite:///。"
    )
