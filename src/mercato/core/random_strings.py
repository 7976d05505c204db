"""Random strings over an alphabet, drawn in C: session keys (core.sessions), CSRF secrets
and masks (core.csrf).

django.utils.crypto.get_random_string makes one draw from the system's random source per
character (32 calls into os.urandom for a session key, 64 for a CSRF token), a cost every
new visitor paid; a big integer cut into digits in Python was a third of that. Here the
bytes of one draw are mapped onto the alphabet with bytes.translate, each above the last
multiple of the alphabet's size dropped, so every character stays uniform.
"""

import os
from functools import lru_cache


@lru_cache(maxsize=8)
def _tables(alphabet: str) -> tuple[bytes, bytes]:
    # Bytes below the largest multiple of the alphabet's size (36: 252, 62: 248) map
    # uniformly onto it (byte % size); the bytes above are dropped.
    size = len(alphabet)
    usable = 256 - 256 % size
    return bytes(ord(alphabet[b % size]) for b in range(256)), bytes(range(usable, 256))


def random_string(length: int, alphabet: str) -> str:
    """`length` characters drawn uniformly from `alphabet` (ASCII, at most 256 characters),
    as get_random_string(length, alphabet) does, from the system's random source."""
    to_char, dropped = _tables(alphabet)
    drawn = b""
    while len(drawn) < length:  # 8 spare bytes: a second draw once in 300,000 (62 characters)
        drawn += os.urandom(length + 8).translate(to_char, dropped)
    return drawn[:length].decode()
