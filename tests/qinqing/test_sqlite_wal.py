"""SQLite for ``make run``: write-ahead logging and a busy timeout, so a foreground export reads and writes
while the background worker writes, instead of failing with “database is locked”."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from django.db.utils import ConnectionHandler

from qinqing import env


@pytest.fixture
def file_database(monkeypatch, tmp_path, django_db_blocker):
    """A Django connection to a new SQLite file, configured as ``make run`` configures it (DATABASE_URL),
    beside the test database (which may be in memory)."""
    path = tmp_path / "run.sqlite3"
    monkeypatch.setenv("X_DB", f"sqlite:///{path}")
    config = env.env_database("X_DB", default_sqlite=tmp_path / "unused.sqlite3")
    handler = ConnectionHandler({"default": config})
    connection = handler["default"]
    with django_db_blocker.unblock():
        connection.ensure_connection()
        yield path, connection
        handler.close_all()


def _pragma(connection, name: str):
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        return cursor.fetchone()[0]


def test_the_settings_give_sqlite_wal_a_busy_timeout_and_immediate_transactions(tmp_path, monkeypatch):
    monkeypatch.delenv("X_DB", raising=False)
    configs = [env.env_database("X_DB", default_sqlite=tmp_path / "default.sqlite3")]  # no DATABASE_URL
    monkeypatch.setenv("X_DB", f"sqlite:///{tmp_path / 'run.sqlite3'}")
    configs.append(env.env_database("X_DB", default_sqlite=tmp_path / "default.sqlite3"))
    for config in configs:
        assert config["ENGINE"] == "django.db.backends.sqlite3"
        assert config["OPTIONS"]["timeout"] >= 10
        assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    monkeypatch.setenv("X_DB", "postgres://u:p@db.local:5432/hall")
    assert "OPTIONS" not in env.env_database("X_DB", default_sqlite=tmp_path / "x.sqlite3")


def test_a_file_database_is_in_wal_mode_with_the_timeout(file_database):
    path, connection = file_database
    assert _pragma(connection, "journal_mode") == "wal"
    assert _pragma(connection, "synchronous") == 1  # NORMAL
    assert _pragma(connection, "busy_timeout") == 20_000


def test_a_reader_and_a_waiting_writer_get_through_while_the_worker_writes(file_database):
    """GIVEN the worker holding a write transaction open for a moment WHEN a foreground request reads and
    then writes THEN the read is answered from the last commit and the write waits for the worker's commit
    (busy timeout) instead of failing with “database is locked”; transactions begin IMMEDIATE."""
    path, connection = file_database
    assert connection.transaction_mode == "IMMEDIATE"
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE job (id INTEGER PRIMARY KEY, done INTEGER)")
        cursor.execute("INSERT INTO job (done) VALUES (0)")
    holding = threading.Event()

    def worker():
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE job SET done = 50")
        holding.set()
        time.sleep(0.5)
        other.execute("COMMIT")
        other.close()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert holding.wait(10)
        with connection.cursor() as cursor:
            cursor.execute("SELECT done FROM job")
            assert cursor.fetchone()[0] == 0  # the last commit; the worker's is not yet
            cursor.execute("UPDATE job SET done = done + 1")  # waits for the worker's commit
            cursor.execute("SELECT done FROM job")
            assert cursor.fetchone()[0] == 51
    finally:
        thread.join()
