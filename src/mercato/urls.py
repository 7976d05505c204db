from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from mercato.api.api import api
from mercato.backoffice.views_tenders import tender_bid
from mercato.core import views as core_views
from mercato.core.resolving import remembering

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("backoffice/", include("mercato.backoffice.urls")),
    path("api/", api.urls),
    path("payments/", include("mercato.payments.urls")),
    # A supplier bids on a tender through its link, without an account.
    path("tender-bid/<str:token>/", tender_bid, name="tender_bid"),
    path("", include("mercato.storefront.urls")),
]

handler404 = "mercato.storefront.views.page_not_found"
handler500 = "mercato.storefront.views_errors.server_error"

if settings.SERVE_MEDIA:
    # The embedded default serves uploads itself; production lets the proxy do it.
    urlpatterns.append(
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})
    )

if settings.BENCH_VIEWS:
    from mercato.demo import bench_views

    urlpatterns += bench_views.urlpatterns

# One resolver holds them all and remembers each path's match: Django walked every include
# before the shop's for every request (core/resolving.py).
urlpatterns = remembering(urlpatterns)
