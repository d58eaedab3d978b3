"""One record per create form, however often it is sent.

Every create form carries a one-time token (``{% form_token %}`` from the ``idempotency`` tag library,
a hidden field named ``form_token``). The first POST that gets through claims the token by inserting a
``FormSubmission`` row *in the same transaction as the create*, so the unique constraint on the token
settles a race: of two requests sent together, the second waits on the first's insert and then fails,
its whole transaction (and the record it was making) rolled back. A later POST with a claimed token
creates nothing and is sent to the page the first one made (``FormSubmission.url``) with a message.

A view uses two calls::

    if request.method == "POST" and (done := idempotency.replay(request)):
        return done                                  # a resent form: nothing is created
    ...
    try:
        obj = idempotency.once(request, lambda: services.thing_create(...), url=lambda obj: obj.get_url())
    except idempotency.AlreadySubmittedError as done:
        return done.response                         # lost the race to its twin
    except ValidationError as error:                 # the service refused: the token stays free
        ...

Views of other parts use the decorator ``@idempotent`` instead (the same guarantee for the whole view,
see below) and ``{% form_token %}`` in their form.

A request without a token (a script, an old page) is served as before, without the guarantee; the
token is never required, so a page kept open across a deployment still submits.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.html import format_html

from qinqing.models import FormSubmission

FIELD = "form_token"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
ALREADY = "该表单已提交过，没有重复登记，已为您打开上次提交的结果。"
FOREIGN = "该表单已由他人提交过，没有重复登记。"

T = TypeVar("T")


def new_token() -> str:
    return secrets.token_urlsafe(24)


def token_of(request: HttpRequest) -> str:
    """The token the POST carried, if it is well formed; "" otherwise."""
    token = request.POST.get(FIELD, "") if request.method == "POST" else ""
    return token if _TOKEN.match(token) else ""


def field_html(request: HttpRequest | None) -> str:
    """The hidden field: a form re-rendered after an error keeps its token (nothing was claimed yet)."""
    token = token_of(request) if request is not None else ""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, token or new_token())


class AlreadySubmittedError(Exception):
    """The token was claimed by an earlier submission; ``response`` sends the user to what it made."""

    def __init__(self, response: HttpResponse):
        super().__init__(ALREADY)
        self.response = response


def _redirect_for(request: HttpRequest, submission: FormSubmission, fallback: str) -> HttpResponse:
    if submission.user_id != request.user.pk:
        messages.warning(request, FOREIGN)
        return HttpResponseRedirect(fallback)
    messages.info(request, ALREADY)
    return HttpResponseRedirect(submission.url or fallback)


def replay(request: HttpRequest, *, fallback: str = "/") -> HttpResponse | None:
    """For a POST whose token was already claimed, the redirect to the first submission's result."""
    token = token_of(request)
    if not token:
        return None
    submission = FormSubmission.objects.filter(token=token).first()
    if submission is None:
        return None
    return _redirect_for(request, submission, fallback)


def _error_messages(request: HttpRequest) -> int:
    storage = getattr(request, "_messages", None)
    queued = getattr(storage, "_queued_messages", [])
    return sum(1 for message in queued if message.level >= messages.ERROR)


def idempotent(view):
    """The same guarantee for a whole create view, in one line: on a POST with a token, the token is
    claimed first and the view runs in the claim's transaction. A redirect (the view's success) stores
    where it led; any other answer (the form shown again with its errors) frees the token; a twin
    request waits on the claim and is then sent where the first one led."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        token = token_of(request)
        if not token or not getattr(request.user, "is_authenticated", False):
            return view(request, *args, **kwargs)
        if done := replay(request):
            return done
        try:
            with transaction.atomic():
                submission = FormSubmission.objects.create(token=token, user=request.user)
                errors_before = _error_messages(request)
                response = view(request, *args, **kwargs)
                # a redirect is the view's success, unless it carries an error message (a view that
                # reports a refusal on the page it redirects to)
                succeeded = response.status_code in (301, 302, 303) and response.get("Location")
                if succeeded and _error_messages(request) == errors_before:
                    submission.url = response["Location"][:300]
                    submission.save(update_fields=["url"])
                else:
                    submission.delete()
        except IntegrityError:
            earlier = FormSubmission.objects.filter(token=token).first()
            if earlier is None:
                raise
            return _redirect_for(request, earlier, "/")
        return response

    return wrapper


def once(request: HttpRequest, create: Callable[[], T], *, url: Callable[[T], str], fallback: str = "/") -> T:
    """Run ``create`` and claim the request's token in one transaction.

    Raises ``AlreadySubmittedError`` when another request holding the same token got there first (nothing
    of this one is kept), and lets the service's own errors through with the token still free."""
    token = token_of(request)
    if not token:
        return create()
    try:
        with transaction.atomic():
            # claimed first: a twin request waits here on the unique index until this one commits
            submission = FormSubmission.objects.create(token=token, user=request.user)
            result = create()
            submission.url = url(result)[:300]
            submission.save(update_fields=["url"])
    except IntegrityError:
        earlier = FormSubmission.objects.filter(token=token).first()
        if earlier is None:  # an integrity error of the create itself, not of the token
            raise
        raise AlreadySubmittedError(_redirect_for(request, earlier, fallback)) from None
    return result
