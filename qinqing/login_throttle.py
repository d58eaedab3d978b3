"""Failed sign-ins slowed three ways, each with its own threshold within the cool-off time:

- an account from one address (``AXES_FAILURE_LIMIT``, 5): a person mistyping, or one attacker guessing
  one account; only that address is shut out of that account;
- an account from any address (``QINQING_ACCOUNT_FAILURE_LIMIT``, 20): a guess spread over many
  addresses; the account is locked for everyone, so a single attacker can no longer lock a named
  account with five requests;
- an address over any accounts (``QINQING_ADDRESS_FAILURE_LIMIT``, 20): one password sprayed over
  many accounts; that address can sign in to no account.

django-axes keeps the attempts (one row per account, address and browser); this handler counts them
per rule and scales each count to axes' one threshold, so axes' own lock-out path (the signal, the
response, the reset on success and the administrator's 解锁) serves all three. The address is the
audit log's (``qinqing.audit.client_ip``): behind the hall's proxy, the workstation's, not the proxy's."""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_parameters, get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone

ACCOUNT_AND_ADDRESS = "account_address"
ACCOUNT = "account"
ADDRESS = "address"
# the reasons, in the words of the lock-out page and the audit log
REASONS = {
    ACCOUNT_AND_ADDRESS: "该账号在本机连续 {n} 次登录失败",
    ACCOUNT: "该账号在各处共 {n} 次登录失败",
    ADDRESS: "本机（{ip}）登录各账号共 {n} 次失败",
}


def _rule(filter_kwargs: dict) -> str:
    keys = set(filter_kwargs)
    if keys == {"username", "ip_address"}:
        return ACCOUNT_AND_ADDRESS
    return ACCOUNT if keys == {"username"} else ADDRESS


def limit_of(rule: str) -> int:
    return {
        ACCOUNT_AND_ADDRESS: settings.AXES_FAILURE_LIMIT,
        ACCOUNT: settings.QINQING_ACCOUNT_FAILURE_LIMIT,
        ADDRESS: settings.QINQING_ADDRESS_FAILURE_LIMIT,
    }[rule]


def failures(request: HttpRequest, credentials: dict | None = None) -> dict[str, int]:
    """Each rule's failures within the cool-off time, for this request's account and address."""
    username = get_client_username(request, credentials)
    threshold = get_cool_off_threshold(request)
    counts = {}
    for kwargs in get_client_parameters(
        username, request.axes_ip_address, request.axes_user_agent, request, credentials
    ):
        rule = _rule(kwargs)
        if rule != ADDRESS and username is None:
            continue
        total = AccessAttempt.objects.filter(**kwargs, attempt_time__gte=threshold).aggregate(
            total=Sum("failures_since_start")
        )["total"]
        counts[rule] = total or 0
    return counts


def exceeded(request: HttpRequest, credentials: dict | None = None) -> list[str]:
    """The rules this request's account and address have reached, most specific first."""
    return [rule for rule, count in failures(request, credentials).items() if count >= limit_of(rule)]


def reason(request: HttpRequest, credentials: dict | None = None) -> str:
    rules = exceeded(request, credentials)
    if not rules:
        return ""
    rule = rules[-1] if ADDRESS in rules else rules[0]
    return REASONS[rule].format(n=limit_of(rule), ip=request.axes_ip_address or "未知地址")


class LoginThrottleHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        """The failures of the rule nearest its threshold, scaled to ``AXES_FAILURE_LIMIT``: axes locks
        when this reaches its one limit, which happens exactly when any rule reaches its own."""
        base = settings.AXES_FAILURE_LIMIT
        counts = failures(request, credentials)
        return max((count * base // limit_of(rule) for rule, count in counts.items()), default=0)


def locked_usernames() -> set[str]:
    """User names locked for everyone (the per-account rule) or from some address (the per-address rule
    of that account): the staff list shows them 已锁定 and the administrator can 解锁."""
    threshold = timezone.now() - settings.AXES_COOLOFF_TIME
    rows = AccessAttempt.objects.filter(attempt_time__gte=threshold).exclude(username=None)
    locked = set(
        rows.values("username")
        .annotate(total=Sum("failures_since_start"))
        .filter(total__gte=settings.QINQING_ACCOUNT_FAILURE_LIMIT)
        .values_list("username", flat=True)
    )
    locked |= set(
        rows.values("username", "ip_address")
        .annotate(total=Sum("failures_since_start"))
        .filter(total__gte=settings.AXES_FAILURE_LIMIT)
        .values_list("username", flat=True)
    )
    return locked
