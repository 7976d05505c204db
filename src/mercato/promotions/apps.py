from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PromotionsConfig(AppConfig):
    name = "mercato.promotions"
    label = "promotions"
    verbose_name = _("Promotions")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from .models import Promotion
        from .selectors import forget_offers

        # The cached list of running promotions is dropped on every change of one.
        post_save.connect(forget_offers, sender=Promotion, dispatch_uid="promotions-forget-save")
        post_delete.connect(forget_offers, sender=Promotion, dispatch_uid="promotions-forget-del")
