"""Second factor: time-based one-time passwords (TOTP, RFC 6238, 6 digits, 30 s).

Required, when LIUYOU_REQUIRE_TOTP is on (the production default), for users holding any role
in LIUYOU_TOTP_ROLES; a user who has bound an authenticator is asked for it in any mode.
The secret is stored SM4-encrypted with the data key (liuyou.core.pii), never in clear.
"""

from __future__ import annotations

import base64
import hmac
from typing import Any

import pyotp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.utils import timezone

from liuyou.core import audit, pii

ISSUER = "六有"
VALID_WINDOW = 1  # accept the previous and next 30-second step: phone clocks drift


def required_for(user: Any) -> bool:
    """Whether `user` must pass a second factor after the password."""
    if getattr(user, "totp_confirmed_at", None) and getattr(user, "totp_secret", ""):
        return True
    if not getattr(settings, "LIUYOU_REQUIRE_TOTP", False):
        return False
    return user.roles.filter(code__in=tuple(settings.LIUYOU_TOTP_ROLES)).exists()


def is_enrolled(user: Any) -> bool:
    return bool(getattr(user, "totp_secret", "") and getattr(user, "totp_confirmed_at", None))


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, user: Any) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.staff_no, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The QR code as an SVG data: URI, rendered on the server (CSP allows img-src data:)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10, border=2)
    svg: bytes = image.to_string()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def matching_step(secret: str, code: str) -> int | None:
    """The 30-second time step `code` belongs to (within the drift window), or None."""
    code = (code or "").strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    otp = pyotp.TOTP(secret)
    now = timezone.now()
    step = otp.timecode(now)
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        if hmac.compare_digest(otp.generate_otp(step + offset), code):
            return step + offset
    return None


def verify_code(secret: str, code: str) -> bool:
    return matching_step(secret, code) is not None


def verify_user_code(user: Any, code: str) -> bool:
    """Check `code` and consume its time step, so a code seen once (shoulder-surfed,
    phished) cannot be replayed within its validity window."""
    if not is_enrolled(user):
        return False
    try:
        secret = pii.decrypt(user.totp_secret)
    except pii.PIIError:
        return False
    step = matching_step(secret, code)
    if step is None:
        return False
    from django.db.models import Q

    from liuyou.system.models import User

    # Compare-and-set: two requests racing with the same code cannot both win.
    consumed = User.objects.filter(
        Q(totp_last_step__isnull=True) | Q(totp_last_step__lt=step), pk=user.pk
    ).update(totp_last_step=step)
    if consumed:
        user.totp_last_step = step
    return bool(consumed)


def enroll(*, user: Any, secret: str, code: str = "", actor: Any = None) -> None:
    """Bind a confirmed secret to `user` (the caller has checked `code` against it); the
    confirming code's time step is consumed so it cannot also serve as the next login."""
    user.totp_secret = pii.encrypt(secret)
    user.totp_confirmed_at = timezone.now()
    user.totp_last_step = matching_step(secret, code) if code else None
    user.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_step", "updated_at"])
    audit.record(
        action="user.totp_enroll",
        user=actor or user,
        obj=user,
        after={"totp_confirmed_at": user.totp_confirmed_at},
        message="绑定动态口令",
    )


def reset_totp(*, user: Any, actor: Any) -> None:
    """An administrator clears the user's second factor; the user binds a new one at next login."""
    before = {"totp_confirmed_at": user.totp_confirmed_at}
    user.totp_secret = ""
    user.totp_confirmed_at = None
    user.totp_last_step = None
    user.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_step", "updated_at"])
    audit.record(
        action="user.totp_reset",
        user=actor,
        obj=user,
        before=before,
        after={"totp_confirmed_at": None},
        message="重置动态口令",
    )
