from django.db.models import QuerySet

from .models import Warehouse


def warehouses_serving(*, province: str) -> QuerySet[Warehouse]:
    """Active warehouses that deliver to `province`, the preferred one first."""
    return Warehouse.objects.filter(is_active=True, served__province=province).order_by(
        "priority", "code"
    )
