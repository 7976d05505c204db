"""The ASGI application: HTTP (the same Django as mercato.wsgi) and the live chat's
WebSockets (service/routing.py), served by uvicorn under gunicorn (Procfile's web)."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mercato.settings")
django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402 - needs the settings loaded

from mercato.core.db import use_timeouts  # noqa: E402
from mercato.payments.checks import refuse_to_serve_if_misconfigured  # noqa: E402
from mercato.search.warmup import warm_up_in_background  # noqa: E402
from mercato.service.routing import websocket_application  # noqa: E402

# gunicorn runs no system checks: refuse to serve with unsafe payment settings (the sandbox
# offered in production), as `mercato check` would report them.
refuse_to_serve_if_misconfigured()
use_timeouts("web")  # web requests wait briefly for locks (MERCATO_DB_TIMEOUTS)

application = ProtocolTypeRouter({"http": django_application, "websocket": websocket_application()})

# As mercato/wsgi.py: the search dictionary loads beside the first requests, the URL
# configuration is imported now, and what the process made so far leaves the collector.
warm_up_in_background()

from django.urls import get_resolver  # noqa: E402

get_resolver().resolve("/")
gc.freeze()
