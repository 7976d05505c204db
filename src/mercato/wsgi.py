import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mercato.settings")
application = get_wsgi_application()

# A server process reads its first search with jieba's dictionary and the shop's loaded;
# load them now, beside the first requests, rather than inside one (1 to 4 s).
from mercato.search.warmup import warm_up_in_background  # noqa: E402

warm_up_in_background()
