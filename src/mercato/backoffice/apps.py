from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    name = "mercato.backoffice"
    label = "backoffice"
    verbose_name = _("Back office")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from mercato.catalog.models import Brand, Category

        from .selectors import bump_catalogue_version

        # The product list's cached filter options follow category and brand changes.
        for model in (Category, Brand):
            for signal in (post_save, post_delete):
                signal.connect(
                    bump_catalogue_version, sender=model, dispatch_uid=f"bo-{model.__name__}"
                )
