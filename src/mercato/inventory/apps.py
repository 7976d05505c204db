from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "mercato.inventory"
    label = "inventory"
    verbose_name = _("Inventory")

    def ready(self):
        from .allocation import forget_warehouses
        from .models import Warehouse, WarehouseProvince

        # Placement reads the warehouse list from the cache (allocation.load_warehouses).
        for model in (Warehouse, WarehouseProvince):
            post_save.connect(forget_warehouses, sender=model, dispatch_uid=f"wh-{model}")
            post_delete.connect(forget_warehouses, sender=model, dispatch_uid=f"wh-del-{model}")
