"""How gunicorn serves Mercato: `gunicorn -c python:mercato.gunicorn_config mercato.wsgi ...`.

The application is loaded once, in the master, and every worker is forked from it. A worker
that dies (killed for memory, a crash) is replaced in milliseconds instead of the 5 to 30 s
that loading Django, the URL configuration and the search dictionary takes in a fresh
process (docs/performance.md, "Faults under load"), and the workers share the loaded
modules' memory (mercato/wsgi.py freezes them out of the garbage collector's reach).

With the application preloaded, `kill -HUP` no longer loads new code: a deploy restarts the
service (docs/operator.md, "Upgrades").
"""

from uvicorn_worker import UvicornWorker

preload_app = True


def pre_fork(server, worker):
    # The master serves no request: whatever it holds when it forks is copied into every
    # worker. A database connection would be one socket shared by all of them, and a
    # warm-up thread still running would leave its locks held in the copy.
    from django.db import connections

    from mercato.search.warmup import wait_for_warm_up

    wait_for_warm_up()
    connections.close_all()


class AsgiWorker(UvicornWorker):
    """`-k mercato.gunicorn_config.AsgiWorker` (Procfile's web): the ASGI application, HTTP
    and the live chat's WebSockets, on uvicorn inside gunicorn's workers. Django answers no
    "lifespan" events; the sans-I/O websockets implementation is the one uvicorn keeps."""

    CONFIG_KWARGS = {**UvicornWorker.CONFIG_KWARGS, "lifespan": "off", "ws": "websockets-sansio"}
