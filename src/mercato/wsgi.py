import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mercato.settings")
application = get_wsgi_application()

from mercato.core.db import use_timeouts  # noqa: E402 - needs the settings loaded

use_timeouts("web")  # web requests wait briefly for locks (MERCATO_DB_TIMEOUTS)
