"""Signing in in tests: past the password and, where the account has a bound phone, the second factor."""

from __future__ import annotations

import time

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from qinqing.models import User


def sign_in(client: Client, user: User) -> Client:
    """``force_login``, and the session counts as having passed the second factor when the account has a
    bound phone (as after typing its code): what a person at work has done before any page."""
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def totp_code(user: User) -> str:
    """The code the account's phone shows now. A test may sign in more than once within one 30-second
    step, so the device forgets the last code used and any wrong tries (a phone would wait for the next)."""
    device = TOTPDevice.objects.filter(user=user).order_by("-confirmed", "-id").first()
    assert device is not None, f"{user.username} has no TOTP device"
    TOTPDevice.objects.filter(pk=device.pk).update(
        last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
    )
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"
