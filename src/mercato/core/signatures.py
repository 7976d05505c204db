"""Signed values remembered for the second they were signed in.

Django signs a new visitor's empty session (signing.dumps) and the "added to your cart"
notice (the messages cookie) with a TimestampSigner: the signature covers the data and
the current second, so within one second the same data signed with the same key always
gives the same string. A shop busy enough to care signs the same few values hundreds of
times a second (every new guest's `{}`, the same notice); here each is signed once per
second and the string kept until the second changes. The strings are exactly what the
signer would have returned: an entry is only used in the second its own timestamp names.
"""

import threading
import time

from django.conf import settings
from django.core import signing
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

_MAX_ENTRIES = 64  # distinct values kept per second; more are signed each time

_lock = threading.Lock()
_second = ""  # the timestamp (base 62, as TimestampSigner writes it) of the entries
_signed: dict[tuple, str] = {}


def signed_this_second(key: tuple, sign) -> str:
    """`sign()`'s result, a TimestampSigner's signed string of what `key` names (the data,
    salt and signing key), remembered for the rest of the current second."""
    global _second
    now = signing.b62_encode(int(time.time()))
    if now != _second:
        with _lock:
            if now != _second:
                _signed.clear()
                _second = now
    value = _signed.get((now, *key))
    if value is None:
        value = sign()
        # Kept only under the second the signer put into it (it may have ticked since).
        parts = value.rsplit(":", 2)
        if len(parts) == 3 and parts[1] == now and len(_signed) < _MAX_ENTRIES:
            _signed[(now, *key)] = value
    return value


_signers: dict[tuple, signing.Signer] = {}


def cookie_signer(salt: str) -> signing.Signer:
    """signing.get_cookie_signer(salt), built once per salt and settings: a signer holds
    no state of a request (its fallback keys are a tuple here, not Django's one-pass map)."""
    key = (
        salt,
        settings.SIGNING_BACKEND,
        settings.SECRET_KEY,
        tuple(settings.SECRET_KEY_FALLBACKS),
    )
    signer = _signers.get(key)
    if signer is None:
        backend = import_string(settings.SIGNING_BACKEND)
        signer = backend(
            key=signing._cookie_signer_key(settings.SECRET_KEY),
            fallback_keys=tuple(map(signing._cookie_signer_key, settings.SECRET_KEY_FALLBACKS)),
            salt=salt,
        )
        if len(_signers) < _MAX_ENTRIES:
            _signers[key] = signer
    return signer


@receiver(setting_changed)
def _forget(*, setting, **kwargs):
    if setting in ("SECRET_KEY", "SECRET_KEY_FALLBACKS", "SIGNING_BACKEND"):
        _signed.clear()
        _signers.clear()
