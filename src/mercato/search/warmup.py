"""Loading the tokenizer when a server process starts (mercato/wsgi.py), in a thread, so
that no customer's first search waits for jieba's dictionary (1 to 4 s) and the shop's."""

import logging
import threading

logger = logging.getLogger(__name__)

_started: list[threading.Thread] = []


def warm_up() -> None:
    from django.db import close_old_connections, connection

    from . import dictionary

    try:
        dictionary.current().analyzer.tokens("华为手机")
    except Exception:  # a server without its database yet still starts
        logger.warning("search: tokenizer not loaded ahead", exc_info=True)
    finally:
        close_old_connections()
        connection.close()


def warm_up_in_background() -> threading.Thread:
    thread = threading.Thread(target=warm_up, name="search-warm-up", daemon=True)
    thread.start()
    _started.append(thread)
    return thread


def wait_for_warm_up(timeout: float = 60) -> None:
    """Let a started warm-up finish: a process about to fork (gunicorn's master with the
    application preloaded) must not copy a thread's half-loaded dictionary or its locks."""
    for thread in _started:
        thread.join(timeout)
