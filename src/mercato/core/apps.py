from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "mercato.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.core import checks

        from .http import check_trusted_proxies

        checks.register(check_trusted_proxies)
