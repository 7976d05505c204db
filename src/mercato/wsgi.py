"""The WSGI application gunicorn serves.

Once it is built, the URL configuration (and with it every view module) is imported, and
what the process has made so far is moved out of the garbage collector's reach
(`gc.freeze()`): those objects live as long as the process, and every full collection
walked all of them again, half the CPU of a request that reads one row
(docs/performance.md).
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mercato.settings")
application = get_wsgi_application()

# gunicorn runs no system checks: refuse to serve with unsafe payment settings (the sandbox
# offered in production), as `mercato check` would report them.
from mercato.core.db import use_timeouts  # noqa: E402 - needs the settings loaded
from mercato.payments.checks import refuse_to_serve_if_misconfigured  # noqa: E402

refuse_to_serve_if_misconfigured()
use_timeouts("web")  # web requests wait briefly for locks (MERCATO_DB_TIMEOUTS)

# A server process reads its first search with jieba's dictionary and the shop's loaded;
# load them now, beside the first requests, rather than inside one (1 to 4 s).
from mercato.search.warmup import warm_up_in_background  # noqa: E402

warm_up_in_background()


def _warm_up() -> None:
    """Import what the first request would otherwise import."""
    from django.urls import get_resolver

    get_resolver().resolve("/")


_warm_up()
gc.freeze()
