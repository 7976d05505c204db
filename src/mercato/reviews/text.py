"""Shoppers' text made safe and checked: HTML removed with nh3 (script and style with
their content), whitespace tidied, and the blocked words it contains."""

import html

import nh3

from .models import BlockedWord


def sanitise(text: str, *, max_length: int) -> str:
    """Plain text without markup. nh3 removes every tag (a <script> with its content); the
    entities it leaves are turned back into characters, and that repeated until nothing
    changes, so an escaped tag cannot come back as a real one. Templates escape the result
    when they show it."""
    text = str(text or "").replace("\x00", "")
    for _ in range(4):
        cleaned = html.unescape(nh3.clean(text, tags=set()))
        if cleaned == text:
            break
        text = cleaned
    lines = [" ".join(line.split()) for line in text.strip().splitlines()]
    text = "\n".join(line for line in lines if line)
    return text[:max_length]


def blocked_words_in(*texts: str) -> list[str]:
    """The blocked words found anywhere in the texts, ignoring case (one query)."""
    haystack = "\n".join(t for t in texts if t).casefold()
    if not haystack:
        return []
    words = BlockedWord.objects.values_list("word", flat=True)
    return sorted({w for w in words if w.casefold() in haystack})
