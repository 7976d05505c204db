from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "mercato.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from auditlog.models import LogEntry
        from django.core import checks
        from django.db.models.signals import pre_save

        from .audit import fill_log_entry
        from .http import check_trusted_proxies

        checks.register(check_trusted_proxies)
        pre_save.connect(fill_log_entry, sender=LogEntry, dispatch_uid="mercato-audit-request")
