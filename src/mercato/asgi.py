import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mercato.settings")
application = get_asgi_application()

# gunicorn runs no system checks: refuse to serve with unsafe payment settings (the sandbox
# offered in production), as `mercato check` would report them.
from mercato.core.db import use_timeouts  # noqa: E402 - needs the settings loaded
from mercato.payments.checks import refuse_to_serve_if_misconfigured  # noqa: E402

refuse_to_serve_if_misconfigured()
use_timeouts("web")  # web requests wait briefly for locks (MERCATO_DB_TIMEOUTS)
