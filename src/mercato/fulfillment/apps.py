from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FulfillmentConfig(AppConfig):
    name = "mercato.fulfillment"
    label = "fulfillment"
    verbose_name = _("Order processing")

    def ready(self):
        from . import signals  # noqa: F401 - connects the paid-order receiver
