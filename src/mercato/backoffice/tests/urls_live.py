"""URLs for browser tests: the project's, with uploads served from the test's MEDIA_ROOT.

mercato.urls binds MEDIA_ROOT when it is imported; tests move MEDIA_ROOT to a temporary
directory per test, so this serves media reading the setting at request time.
"""

from django.conf import settings
from django.urls import re_path
from django.views.static import serve

from mercato.urls import urlpatterns as project_urlpatterns


def media(request, path):
    return serve(request, path, document_root=settings.MEDIA_ROOT)


urlpatterns = [re_path(r"^media/(?P<path>.*)$", media), *project_urlpatterns]
