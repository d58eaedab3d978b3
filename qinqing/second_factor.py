"""The second factor (等保三级 8.1.4.1): a TOTP code from the person's phone, or a one-time recovery code.

Required of the administrator, the auditor and the reform office (``settings.TWO_FACTOR_REQUIRED_ROLES``),
optional for everyone else. The devices are django-otp's: a ``TOTPDevice`` (confirmed once the person
has typed a first code from their phone) and a ``StaticDevice`` whose tokens are the recovery codes,
stored as keyed digests, never in clear. ``qinqing.middleware.SessionPolicyMiddleware`` keeps a signed-in
session that has not passed the factor on the verification page, and a person of a required role who
has none on the binding page.

三员分立: an auditor account is usable only after its holder has bound their own factor and a serving
auditor has approved it with the one-time approval code shown on the holder's page (``approve_auditor``).
Creating the account, giving it the role, resetting its password or its factor all make it pending
again, so an administrator who knows the initial password still cannot read the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from base64 import b32encode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from qinqing import audit
from qinqing.models import AuditEntry, User
from qinqing.roles import Role, held_roles
from qinqing.sessions import end_sessions

RECOVERY_CODE_COUNT = 10
# recovery codes: 10 characters from an alphabet without look-alikes (0/O, 1/I/L), shown as xxxxx-xxxxx
_RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
# wrong codes typed in this session (the session ends at TWO_FACTOR_SESSION_FAILURES)
FAILURES_KEY = "qinqing_2fa_failures"
# the recovery codes just made, shown once on the next page and then dropped from the session
FRESH_CODES_KEY = "qinqing_2fa_fresh_codes"


def required_for(user: User) -> bool:
    """Whether the user's roles oblige them to have a second factor (the auditor's role counts while the
    account is pending: binding the factor is the first step of its activation)."""
    return bool(held_roles(user) & set(settings.TWO_FACTOR_REQUIRED_ROLES))


def confirmed_totp(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def _digest(code: str) -> str:
    """The stored form of a recovery code: 16 hex digits of an HMAC under the installation's secret key (a
    copy of the table does not give the codes; the typed code is normalised first)."""
    normal = "".join(c for c in code.lower() if c.isalnum())
    return hmac.new(settings.SECRET_KEY.encode(), normal.encode(), hashlib.sha256).hexdigest()[:16]


def _new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        while raw.isdigit():  # (never all digits: a code of digits alone is read as the phone's)
            raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def _store_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with new ones; returns them in clear (shown once)."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="恢复码", confirmed=True)
    codes = _new_recovery_codes()
    StaticToken.objects.bulk_create(StaticToken(device=device, token=_digest(code)) for code in codes)
    return codes


def pending_totp(user: User) -> TOTPDevice:
    """The device being bound: kept between page loads, so the code on the phone stays valid."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="手机验证器", confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The secret as a person types it into a phone app: base32 in groups of four."""
    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def _wrong_code(device, token: str) -> bool:
    """Try ``token`` on ``device`` under a row lock (two requests cannot both use one code)."""
    locked = type(device).objects.select_for_update().get(pk=device.pk)
    return not locked.verify_token(token)


def _throttled(device) -> str:
    allowed, data = device.verify_is_allowed()
    if allowed:
        return ""
    until = (data or {}).get("locked_until")
    if until is not None:
        seconds = max(1, int((until - timezone.now()).total_seconds()) + 1)
        return f"验证码错误次数较多，请 {seconds} 秒后再试。"
    return "暂时不能验证，请稍后再试。"


def confirm_binding(*, user: User, request: HttpRequest, token: str) -> list[str]:
    """Bind the phone: the first code it shows confirms the pending device. Returns the recovery codes
    (made here, shown once); the session counts as verified."""
    if has_factor(user):
        raise ValidationError("您已绑定第二因素；如需更换手机，请先由系统管理员重置。", code="already_bound")
    device = pending_totp(user)
    with transaction.atomic():  # a wrong code's throttle count is kept, so it commits before the refusal
        waiting = _throttled(device)
        wrong = not waiting and _wrong_code(device, token.strip())
    if waiting:
        raise ValidationError(waiting, code="throttled")
    if wrong:
        raise ValidationError("验证码不正确：请输入手机验证器上当前显示的 6 位数字。", code="wrong_code")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        device.refresh_from_db()
        codes = _store_recovery_codes(user)
        detail = f"手机验证器已绑定，生成恢复码 {len(codes)} 个"
        if user.auditor_pending:
            detail += "；审计员账号待现任审计员批准启用"
        audit.record(action=AuditEntry.Action.TWO_FACTOR_ENROL, actor=user, request=request, obj=user, detail=detail)
    request.session.cycle_key()
    otp_login(request, device)
    request.session.pop(FAILURES_KEY, None)
    return codes


def verify(*, user: User, request: HttpRequest, token: str) -> str:
    """Check a code typed at sign-in: a 6-digit TOTP code, or a recovery code (used up by this).

    Returns "" when the session is now verified, or the message to show. Every wrong code is in the audit
    log; after ``TWO_FACTOR_SESSION_FAILURES`` of them the caller ends the session."""
    token = token.strip()
    if not token:
        return "请输入验证码。"
    totp = confirmed_totp(user)
    if totp is None:
        return "该账号未绑定第二因素。"
    is_recovery = not (token.isdigit() and len(token) <= 8)  # a recovery code is 10 characters
    device = StaticDevice.objects.filter(user=user, confirmed=True).first() if is_recovery else totp
    if device is None:
        return "恢复码已用完，请联系系统管理员重置第二因素。"
    with transaction.atomic():  # the throttle count of a wrong code commits
        waiting = _throttled(device)
        wrong = not waiting and _wrong_code(device, _digest(token) if is_recovery else token)
    if waiting or wrong:
        # a try while the device waits counts too: five quick guesses end the session
        failures = int(request.session.get(FAILURES_KEY, 0)) + 1
        request.session[FAILURES_KEY] = failures
        kind = "恢复码" if is_recovery else "验证码"
        audit.record(
            action=AuditEntry.Action.TWO_FACTOR_VERIFY,
            actor=user,
            request=request,
            obj=user,
            result=AuditEntry.Result.FAILURE,
            detail=f"{kind}{'在等待时间内再次输入' if waiting else '错误'}（本次登录第 {failures} 次）",
        )
        if waiting:
            return waiting
        if is_recovery:
            return "恢复码不正确或已用过。"
        return "验证码不正确：请输入手机验证器上当前显示的 6 位数字。"
    device.refresh_from_db()
    request.session.cycle_key()  # a new key once the session holds both factors
    otp_login(request, device)
    request.session.pop(FAILURES_KEY, None)
    if is_recovery:
        left = recovery_codes_left(user)
        audit.record(
            action=AuditEntry.Action.TWO_FACTOR_VERIFY,
            actor=user,
            request=request,
            obj=user,
            detail=f"使用恢复码登录，剩余 {left} 个",
        )
    return ""


def too_many_failures(request: HttpRequest) -> bool:
    return int(request.session.get(FAILURES_KEY, 0)) >= settings.TWO_FACTOR_SESSION_FAILURES


@transaction.atomic
def renew_recovery_codes(*, user: User, request: HttpRequest) -> list[str]:
    if not has_factor(user):
        raise ValidationError("请先绑定手机验证器。", code="not_bound")
    codes = _store_recovery_codes(user)
    audit.record(
        action=AuditEntry.Action.RECOVERY_CODES,
        actor=user,
        request=request,
        obj=user,
        detail=f"重新生成恢复码 {len(codes)} 个，原有恢复码作废",
    )
    return codes


def clear(user: User) -> int:
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    return removed


@transaction.atomic
def remove_own(*, user: User, request: HttpRequest) -> None:
    """A person whose roles do not require it may unbind their own factor."""
    if required_for(user):
        raise ValidationError("您的角色必须使用第二因素，不能解除绑定；更换手机请联系系统管理员。", code="required")
    if not clear(user):
        raise ValidationError("您没有绑定第二因素。", code="not_bound")
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    audit.record(
        action=AuditEntry.Action.TWO_FACTOR_RESET, actor=user, request=request, obj=user, detail="本人解除第二因素"
    )


def deactivate_auditor(user: User) -> bool:
    """Make an auditor account pending again (it must be approved anew); True if it was active."""
    if user.auditor_activated_at is None:
        return False
    User.objects.filter(pk=user.pk).update(auditor_activated_at=None, auditor_activated_by=None)
    user.auditor_activated_at = None
    user.auditor_activated_by = None
    return True


@transaction.atomic
def reset(*, actor: User, request: HttpRequest | None, user_id: int) -> int:
    """The administrator's reset of someone's factor (a lost phone): the devices and recovery codes go, the
    account's sessions end, and at the next sign-in the person binds a new phone. An auditor account goes
    back to pending. Returns how many sessions ended."""
    from qinqing.services import lock_for_update

    user = lock_for_update(User, user_id)
    if user.pk == actor.pk:
        raise ValidationError("不能重置自己的第二因素，请由另一位系统管理员操作。", code="self_reset")
    if not (TOTPDevice.objects.filter(user=user).exists() or StaticDevice.objects.filter(user=user).exists()):
        raise ValidationError("该账号没有绑定第二因素。", code="not_bound")
    clear(user)
    pending = deactivate_auditor(user)
    ended = end_sessions(user)
    detail = f"手机验证器与恢复码已清除，下次登录须重新绑定；结束会话 {ended} 个"
    if pending:
        detail += "；审计员账号回到待启用，须现任审计员批准"
    audit.record(action=AuditEntry.Action.TWO_FACTOR_RESET, actor=actor, request=request, obj=user, detail=detail)
    return ended


def approval_code(user: User) -> str:
    """The one-time code a pending auditor reads out to a serving auditor: derived from their bound device,
    so it exists only after they bound their own phone and changes when the factor is reset."""
    device = confirmed_totp(user)
    if device is None or not user.auditor_pending:
        return ""
    mac = hmac.new(settings.SECRET_KEY.encode(), f"auditor:{user.pk}:{device.key}".encode(), hashlib.sha256)
    number = int.from_bytes(mac.digest()[:8], "big") % 10**8
    return f"{number // 10**4:04d}-{number % 10**4:04d}"


def pending_auditors(*, with_binding: bool = False):
    """Active auditor accounts not yet approved; ``with_binding`` adds their unit and ``bound`` (whether the
    holder has bound a phone, without which there is no approval code yet) for the approval page."""
    accounts = User.objects.filter(
        groups__name=Role.AUDITOR.value, is_active=True, auditor_activated_at__isnull=True
    ).order_by("username")
    if with_binding:
        bound = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        accounts = accounts.select_related("department").annotate(bound=Exists(bound))
    return accounts


def approve_auditor(*, approver: User, request: HttpRequest, code: str) -> User:
    """A serving auditor approves a pending auditor account by the code its holder read out to them. A
    code that matches no pending account is refused and recorded."""
    if not approver.has_role(Role.AUDITOR) or approver.auditor_pending:
        raise ValidationError("只有已启用的审计员才能批准。", code="not_auditor")
    typed = "".join(c for c in code if c.isdigit())
    if len(typed) != 8:
        raise ValidationError("请输入对方页面上显示的 8 位确认码。", code="format")
    with transaction.atomic():
        for candidate in pending_auditors().exclude(pk=approver.pk).select_for_update():
            expected = approval_code(candidate).replace("-", "")
            if expected and hmac.compare_digest(expected, typed):
                User.objects.filter(pk=candidate.pk).update(
                    auditor_activated_at=timezone.now(), auditor_activated_by=approver
                )
                candidate.refresh_from_db()
                audit.record(
                    action=AuditEntry.Action.AUDITOR_APPROVE,
                    actor=approver,
                    request=request,
                    obj=candidate,
                    detail="核对确认码后批准启用审计员账号",
                )
                return candidate
    audit.record(
        action=AuditEntry.Action.AUDITOR_APPROVE,
        actor=approver,
        request=request,
        result=AuditEntry.Result.FAILURE,
        detail="确认码与任何待启用的审计员账号都不符",
    )
    raise ValidationError("确认码不符：请核对对方页面上的 8 位确认码（对方须已绑定手机验证器）。", code="wrong_code")
