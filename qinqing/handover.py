"""Open work a person holds, and its hand-over when they leave (人员交接).

The accounts live here, the work (projects, first-responsibility hand-offs…) in the parts above,
which this one may not import. Each part that gives people work registers a ``Provider`` in its
``AppConfig.ready``: what ``user`` holds, why a ``successor`` could not take it over, and how to
move it. Disabling an account asks every provider, in the disabling transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest


@dataclass(frozen=True)
class Holding:
    """One kind of open work held by one person.

    ``role`` is the role a successor must hold to take it over; an empty ``role`` marks work that
    stays with a unit or a stage window whoever leaves (shown for information, never moved)."""

    key: str
    label: str
    ids: tuple[int, ...]
    examples: tuple[str, ...] = ()
    role: str = ""
    note: str = ""

    @property
    def count(self) -> int:
        return len(self.ids)

    @property
    def transferable(self) -> bool:
        return bool(self.role)


@dataclass(frozen=True)
class Provider:
    """``holdings(user)``; ``refusals(user, successor)`` lists, in Chinese, what the successor cannot
    take over (empty: all of it); ``hand_over(user=…, successor=…, actor=…, request=…, reason=…)``
    moves everything transferable in the caller's transaction and returns how many records moved."""

    name: str
    holdings: Callable[[object], list[Holding]]
    refusals: Callable[[object, object], list[str]]
    hand_over: Callable[..., int]


_PROVIDERS: dict[str, Provider] = {}


def register(provider: Provider) -> Provider:
    _PROVIDERS[provider.name] = provider
    return provider


def providers() -> list[Provider]:
    return list(_PROVIDERS.values())


@dataclass
class OpenWork:
    """Everything ``user`` holds, from every registered part."""

    holdings: list[Holding] = field(default_factory=list)

    @property
    def transferable(self) -> list[Holding]:
        return [h for h in self.holdings if h.transferable and h.count]

    @property
    def informational(self) -> list[Holding]:
        return [h for h in self.holdings if not h.transferable and h.count]

    @property
    def roles(self) -> set[str]:
        """The roles a successor needs to take over all of it."""
        return {h.role for h in self.transferable}

    def summary(self) -> str:
        """在办项目 2 个（帮办专员）、作为首问负责人的阶段 1 个"""
        return "、".join(f"{h.label} {h.count} 个" for h in self.transferable)

    def fingerprint(self) -> str:
        """Which records the page showed, so a disable confirmed on a stale page is refused."""
        text = ";".join(f"{h.key}:{','.join(map(str, sorted(h.ids)))}" for h in self.transferable)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def open_work(user) -> OpenWork:
    return OpenWork([holding for p in _PROVIDERS.values() for holding in p.holdings(user) if holding.count])


def refusals(user, successor) -> list[str]:
    return [message for p in _PROVIDERS.values() for message in p.refusals(user, successor)]


def hand_over(*, user, successor, actor, request: HttpRequest | None, reason: str) -> int:
    return sum(
        p.hand_over(user=user, successor=successor, actor=actor, request=request, reason=reason)
        for p in _PROVIDERS.values()
    )
