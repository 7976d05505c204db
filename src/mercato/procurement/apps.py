from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProcurementConfig(AppConfig):
    name = "mercato.procurement"
    label = "procurement"
    verbose_name = _("Procurement")

    def ready(self):
        from auditlog.registry import auditlog

        from . import models

        # Changes to suppliers (bank details too: masked in the log) and to purchase orders
        # and their lines and prices are audited; the PO's own events tell its steps.
        auditlog.register(models.Supplier, mask_fields=["bank_account"])
        auditlog.register(models.SupplierPrice)
        auditlog.register(models.PurchaseOrder, exclude_fields=["updated_at"])
        auditlog.register(models.PurchaseOrderLine)
