"""One-time SMS codes: six digits, stored as a keyed hash, valid for a few minutes, a few
attempts, and one use. Only the newest code for a number and purpose counts."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mercato.core.errors import ValidationFailed

from .models import OneTimeCode

CODE_DIGITS = 6


def code_ttl() -> timedelta:
    return timedelta(seconds=getattr(settings, "MERCATO_CODE_TTL_SECONDS", 300))


def max_attempts() -> int:
    return getattr(settings, "MERCATO_CODE_MAX_ATTEMPTS", 5)


def _hash(*, mobile: str, purpose: str, code: str) -> str:
    # Keyed with SECRET_KEY: a leaked table alone does not let anyone try the million codes.
    message = f"{purpose}:{mobile}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def issue_code(*, mobile: str, purpose: str) -> str:
    """A new code for this number and purpose (replacing any earlier one); returns the code
    for the caller to send. The code itself is never stored."""
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    now = timezone.now()
    OneTimeCode.objects.create(
        mobile=mobile,
        purpose=purpose,
        code_hash=_hash(mobile=mobile, purpose=purpose, code=code),
        created_at=now,
        expires_at=now + code_ttl(),
    )
    return code


def verify_code(*, mobile: str, purpose: str, code: str) -> None:
    """Accept the code once, or raise ValidationFailed on the "code" field.

    A wrong guess is counted even though the call raises, so do not call this inside an
    outer transaction that the error would roll back.
    """
    code = (code or "").strip()
    if len(code) != CODE_DIGITS or not code.isdigit():
        raise ValidationFailed({"code": [_("Enter the 6-digit code from the SMS.")]})
    error = None
    with transaction.atomic():
        otc = (
            OneTimeCode.objects.select_for_update()
            .filter(mobile=mobile, purpose=purpose)
            .order_by("-created_at", "-id")
            .first()
        )
        now = timezone.now()
        if otc is None:
            error = _("No code was sent to this number; request one first.")
        elif otc.used_at is not None:
            error = _("This code has already been used; request a new one.")
        elif otc.expires_at <= now:
            error = _("This code has expired; request a new one.")
        elif otc.attempts >= max_attempts():
            error = _("Too many wrong codes; request a new one.")
        elif not hmac.compare_digest(
            otc.code_hash, _hash(mobile=mobile, purpose=purpose, code=code)
        ):
            otc.attempts += 1
            otc.save(update_fields=["attempts"])
            error = (
                _("Too many wrong codes; request a new one.")
                if otc.attempts >= max_attempts()
                else _("The code is wrong.")
            )
        else:
            otc.used_at = now
            otc.save(update_fields=["used_at"])
    if error:
        raise ValidationFailed({"code": [error]})


def purge_expired_codes(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete codes that expired long ago; returns how many."""
    deleted, _rows = OneTimeCode.objects.filter(expires_at__lt=timezone.now() - older_than).delete()
    return deleted
