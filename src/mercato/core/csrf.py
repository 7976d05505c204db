"""A visitor's CSRF token as Django makes it, its random characters drawn in C.

django.middleware.csrf.get_token draws a new visitor's secret and every token's mask with
get_random_string (one call into the system's random source per character: 64 per token;
core.random_strings draws each in one) and masks the secret through two generators: about
350 Python calls, a sixth of what a new visitor's cached product page costs
(docs/performance.md). get_token here gives the same: the same secret in request.META (the
cookie CsrfViewMiddleware sets), a token of the same form that Django's check accepts,
each character uniform over the same alphabet.
"""

from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH

from .random_strings import random_string

_INDEX = {c: i for i, c in enumerate(CSRF_ALLOWED_CHARS)}


def get_token(request) -> str:
    """django.middleware.csrf.get_token (Django 5.2): the visitor's masked CSRF token, a
    new secret put in request.META when the visitor has none."""
    meta = request.META
    if "CSRF_COOKIE" in meta:
        secret = meta["CSRF_COOKIE"]
    else:
        secret = meta["CSRF_COOKIE"] = random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS)
    # The cookie is sent (or its expiry renewed) with the response.
    meta["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask = random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS)
    chars, index, size = CSRF_ALLOWED_CHARS, _INDEX, len(CSRF_ALLOWED_CHARS)
    pairs = zip(secret, mask, strict=True)
    return mask + "".join([chars[(index[s] + index[m]) % size] for s, m in pairs])
