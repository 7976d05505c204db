"""Every operation that changes the catalogue. Views, API, commands and tasks call these."""

from .categories import (
    create_brand,
    create_category,
    move_category,
    set_category_specs,
    update_category,
)
from .images import add_product_image, delete_product_image
from .merchandising import create_home_slot, delete_home_slot, update_home_slot
from .pricing import (
    PriceChange,
    apply_price_change,
    preview_price_change,
    record_received_cost,
)
from .products import (
    create_product,
    generate_skus,
    set_product_status,
    update_product,
    update_sku,
)
from .shop import remove_product, sync_spec_values

__all__ = [
    "PriceChange",
    "add_product_image",
    "apply_price_change",
    "create_brand",
    "create_category",
    "create_home_slot",
    "create_product",
    "delete_home_slot",
    "delete_product_image",
    "generate_skus",
    "move_category",
    "preview_price_change",
    "record_received_cost",
    "remove_product",
    "set_category_specs",
    "set_product_status",
    "sync_spec_values",
    "update_category",
    "update_home_slot",
    "update_product",
    "update_sku",
]
