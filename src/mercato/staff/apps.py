from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "mercato.staff"
    label = "staff"
    verbose_name = _("Departments and staff")

    def ready(self):
        from auditlog.registry import auditlog
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_migrate

        from . import models, services

        auditlog.register(
            get_user_model(),
            exclude_fields=["password", "last_login"],
            mask_fields=["phone"],
            m2m_fields={"groups"},
        )
        auditlog.register(models.StaffProfile)
        auditlog.register(models.ApiToken, exclude_fields=["token_hash"])
        post_migrate.connect(services.sync_roles_after_migrate, sender=self)
