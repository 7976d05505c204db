"""Django's message storage (a cookie, the session beyond what fits), its signing cheaper.

The same storage, the same cookie, byte for byte (MESSAGE_STORAGE): only the signing of
the cookie is done less often. Django built the cookie's signer again for every request
(import, key derivation) and signed the notice each time; most cookies are one of a few
notices ("Added to your cart."), so core.signatures keeps each signed string for the rest
of its second and the signer for good.
"""

from django.conf import settings
from django.contrib.messages.storage import cookie, fallback
from django.contrib.messages.storage.base import BaseStorage
from django.contrib.messages.storage.session import SessionStorage

from .signatures import cookie_signer, signed_this_second


class CookieStorage(cookie.CookieStorage):
    def __init__(self, *args, **kwargs):
        BaseStorage.__init__(self, *args, **kwargs)
        self.signer = cookie_signer(self.key_salt)

    def _encode_parts(self, messages, encode_empty=False):
        if not (messages or encode_empty):
            return None
        encode = super()._encode_parts
        key = ("messages", self.key_salt, settings.SECRET_KEY, tuple(messages))
        return signed_this_second(key, lambda: encode(messages, encode_empty))


class FallbackStorage(fallback.FallbackStorage):
    storage_classes = (CookieStorage, SessionStorage)
