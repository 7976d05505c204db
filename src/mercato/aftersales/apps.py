from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AftersalesConfig(AppConfig):
    name = "mercato.aftersales"
    label = "aftersales"
    verbose_name = _("Returns and exchanges")
