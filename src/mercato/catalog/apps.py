from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "mercato.catalog"
    label = "catalog"
    verbose_name = _("Catalogue")

    def ready(self):
        from auditlog.registry import auditlog

        from . import models, shopcache  # noqa: F401 - shopcache connects its signals

        auditlog.register(models.Category, exclude_fields=["path", "depth", "numchild"])
        auditlog.register(models.Brand)
        auditlog.register(models.Product)
        auditlog.register(models.Sku)
        auditlog.register(models.ProductImage)
        auditlog.register(models.SpecAttribute)
