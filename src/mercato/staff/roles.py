"""The role matrix: which department and which extra role may do what.

docs/roles.md explains it for people; `sync_roles` writes it into Django groups. Services
check these permissions; menus only follow them.
"""

# Permissions every department needs to look at the catalogue.
CATALOG_READ = ["catalog.view_product", "catalog.view_category", "catalog.view_brand"]
CATALOG_EDIT = [
    "catalog.add_product",
    "catalog.change_product",
    "catalog.delete_product",
    "catalog.publish_product",
    "catalog.add_category",
    "catalog.change_category",
    "catalog.add_brand",
    "catalog.change_brand",
    "catalog.import_products",
    "catalog.export_products",
]

# (code, Chinese name, English name, permissions)
DEPARTMENTS = [
    (
        "service",
        "客服部",
        "Customer service",
        [
            *CATALOG_READ,
            "core.view_full_phone",
            "orders.view_order",
            "orders.cancel_order",
            "payments.view_payment",
        ],
    ),
    (
        "marketing",
        "市场部",
        "Marketing",
        [*CATALOG_READ, "catalog.export_products"],
    ),
    (
        "procurement",
        "采购及物流部",
        "Procurement and logistics",
        [
            *CATALOG_READ,
            "catalog.view_cost_price",
            "catalog.export_products",
            "inventory.view_stock",
            "inventory.change_stock",
            "orders.view_order",
            "orders.cancel_order",
            "payments.record_collection",
        ],
    ),
    (
        "tech",
        "技术部",
        "Technology",
        [*CATALOG_READ, "core.view_auditlog", "staff.use_admin"],
    ),
    (
        "operations",
        "网站运营部",
        "Website operations",
        [
            *CATALOG_READ,
            *CATALOG_EDIT,
            "catalog.change_price",
            "catalog.view_cost_price",
            "catalog.manage_merchandising",
            "inventory.view_stock",
            "search.manage_search",
        ],
    ),
    (
        "finance",
        "财务部",
        "Finance",
        [
            *CATALOG_READ,
            "catalog.view_cost_price",
            "catalog.export_products",
            "payments.view_payment",
            "payments.refund_payment",
            "payments.review_payment",
            "payments.record_collection",
        ],
    ),
    (
        "hr",
        "人力资源部",
        "Human resources",
        [
            "staff.manage_staff",
            "staff.view_staffprofile",
            "staff.view_department",
            "core.view_user",
        ],
    ),
]

# Extra roles a staff member may hold on top of the department's permissions.
# "sysadmin" is 技术部's superuser-style role: it is granted every permission.
ROLES = {
    "lead": ("部门主管", "Department lead", ["core.view_auditlog"]),
    # 订单处理 in 采购及物流部 (and later order review, packing): ships to the customer, so it
    # sees phone numbers and addresses in full; the rest of the department sees them masked.
    "order_processing": (
        "订单处理",
        "Order processing",
        ["core.view_full_phone", "orders.view_order", "orders.cancel_order"],
    ),
    "sysadmin": ("系统管理员", "System administrator", ["*"]),
}

DEPARTMENT_CODES = [code for code, *_ in DEPARTMENTS]


def department_group_name(code: str) -> str:
    return f"dept:{code}"


def role_group_name(code: str) -> str:
    return f"role:{code}"
