from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "mercato.search"
    label = "search"
    verbose_name = _("Product search")

    def ready(self):
        from auditlog.registry import auditlog

        from . import models, signals

        signals.connect()
        auditlog.register(models.SynonymGroup)
        auditlog.register(models.HiddenHotSearch)
