"""The exchange as a periodic job of the background worker (django-tasks): each run queues the next one
``SPGL_EXCHANGE_MINUTES`` later. ``manage.py spgl_exchange --schedule`` starts the chain (``make run`` does, and
the worker's systemd unit before it starts); a chain already queued is not doubled."""

from __future__ import annotations

from django_tasks import task
from django_tasks.base import TaskResultStatus

from projects.exchange.runner import next_run_at, run_exchange


@task()
def exchange_task(requested_by_id: int | None = None) -> int | None:
    """One run; a run asked for on the page (``requested_by_id``) does not start another chain."""
    from qinqing.models import User

    requester = User.objects.filter(pk=requested_by_id).first() if requested_by_id else None
    try:
        run = run_exchange(requested_by=requester)
    finally:
        if requester is None:
            schedule()
    return run.pk if run is not None else None


def queued() -> bool:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=exchange_task.module_path, status=TaskResultStatus.READY).exists()


def schedule() -> bool:
    """Queue the next run, unless periodic runs are off or one is already queued; True if queued now."""
    when = next_run_at()
    if when is None or queued():
        return False
    exchange_task.using(run_after=when).enqueue()
    return True
