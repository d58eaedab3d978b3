"""One exchange run: the city's rows in, the hall's rows out, the city's refusals read back; recorded as an
``ExchangeRun``. Runs one at a time; the background worker repeats it every ``SPGL_EXCHANGE_MINUTES``."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from projects.exchange.inbound import run_inbound
from projects.exchange.models import ExchangeRun
from projects.exchange.outbound import run_outbound

logger = logging.getLogger(__name__)
# a run still marked 进行中 after this long has died (the worker was stopped): the next one may start
STALE_RUN = timedelta(hours=1)


def run_exchange(*, requested_by=None) -> ExchangeRun | None:
    """Exchange once; None when another run is in progress."""
    busy = ExchangeRun.objects.filter(status=ExchangeRun.Status.RUNNING, started_at__gte=timezone.now() - STALE_RUN)
    if busy.exists():
        return None
    run = ExchangeRun.objects.create(requested_by=requested_by)
    try:
        run_inbound(run)
        run_outbound(run)
    except Exception as error:  # the run is recorded as failed, with the reason, and the worker goes on
        logger.exception("SPGL exchange failed")
        run.status = ExchangeRun.Status.FAILED
        run.error = f"{type(error).__name__}: {error}"[:500]
    else:
        run.status = ExchangeRun.Status.DONE
    run.finished_at = timezone.now()
    run.save()
    return run


def next_run_at():
    minutes = settings.SPGL_EXCHANGE_MINUTES
    return timezone.now() + timedelta(minutes=minutes) if minutes else None
