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

# The order console (issue 13): who sees orders and what each may do to them.
ORDER_CONSOLE = ["orders.view_order", "orders.export_orders", "fulfillment.view_shipment"]

# (code, Chinese name, English name, permissions)
DEPARTMENTS = [
    (
        "service",
        "客服部",
        "Customer service",
        [
            *CATALOG_READ,
            *ORDER_CONSOLE,
            "core.view_full_phone",
            "orders.cancel_order",
            "orders.change_delivery",
            "orders.hold_order",
            "orders.place_phone_order",
            "orders.send_payment_link",
            "customers.view_customer",
            "customers.change_customer",
            "payments.view_payment",
            "fulfillment.view_delivery_audit",
            "aftersales.view_returnrequest",
            "aftersales.decide_return",
            "reviews.moderate_content",
            "reviews.answer_question",
            "service.view_ticket",
            "service.add_ticket",
            "service.handle_ticket",
            "service.view_article",
            "service.add_quizattempt",
            "service.view_callback",
            "service.add_callback",
            "service.handle_callback",
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
            "inventory.change_warehouse",
            "inventory.count_stock",
            *ORDER_CONSOLE,
            "orders.cancel_order",
            "payments.record_collection",
            # Reviewing, picking, packing and shipping: the order_processing role below.
            "fulfillment.manage_carriers",
            "fulfillment.upload_tracking",
            "fulfillment.view_delivery_audit",
            "aftersales.view_returnrequest",
            # Suppliers and purchase orders; receiving (入库) at the warehouse. Approving
            # and bank details: the procurement_lead role below.
            "procurement.view_supplier",
            "procurement.add_supplier",
            "procurement.change_supplier",
            "procurement.view_purchaseorder",
            "procurement.add_purchaseorder",
            "procurement.change_purchaseorder",
            "procurement.receive_goods",
            # Transfers between warehouses (调拨) and the rebalancing suggestions.
            "procurement.view_transferorder",
            "procurement.add_transferorder",
            "procurement.change_transferorder",
            "procurement.ship_transferorder",
            # Purchase lists and suggestions (采购名单), agreed with operations.
            "procurement.view_purchaselist",
            "procurement.add_purchaselist",
            "procurement.change_purchaselist",
            # Tenders (招标) and their bids; the resources promised in return are seen here
            # and given by website operations.
            "procurement.view_tender",
            "procurement.add_tender",
            "procurement.change_tender",
            "procurement.view_resourcetask",
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
            "orders.view_margin",
            "catalog.manage_merchandising",
            "inventory.view_stock",
            "search.manage_search",
            "promotions.view_promotion",
            "promotions.add_promotion",
            "promotions.change_promotion",
            "promotions.view_coupontemplate",
            "promotions.change_coupontemplate",
            # Operations forecast sales and agree the purchase lists with procurement.
            "procurement.view_purchaselist",
            "procurement.add_purchaselist",
            "procurement.change_purchaselist",
            # Resources promised to suppliers in tenders (资源换价格): home-page slots.
            "procurement.view_resourcetask",
            "procurement.change_resourcetask",
        ],
    ),
    (
        "finance",
        "财务部",
        "Finance",
        [
            *CATALOG_READ,
            "catalog.view_cost_price",
            "orders.view_margin",
            "catalog.export_products",
            "payments.view_payment",
            "payments.refund_payment",
            "payments.review_payment",
            "payments.record_collection",
            *ORDER_CONSOLE,
            "fulfillment.view_delivery_audit",
            "fulfillment.export_penalties",
            "fulfillment.reconcile_cod",
            "aftersales.view_returnrequest",
            # Purchase orders above MERCATO_PO_FINANCE_LIMIT; paying suppliers.
            "procurement.view_supplier",
            "procurement.view_bank_details",
            "procurement.view_purchaseorder",
            "procurement.approve_large_purchaseorder",
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
    "lead": (
        "部门主管",
        "Department lead",
        [
            "core.view_auditlog",
            # Order processing's lead sets the review rules and the carriers' penalties.
            "fulfillment.manage_review_rules",
            "fulfillment.manage_penalties",
            "aftersales.manage_return_windows",
            "reviews.manage_blocked_words",
        ],
    ),
    # 订单处理 in 采购及物流部: reviews, picks, packs and ships orders to the customer, so it
    # sees phone numbers and addresses in full; the rest of the department sees them masked.
    "order_processing": (
        "订单处理",
        "Order processing",
        [
            "core.view_full_phone",
            "orders.view_order",
            "orders.cancel_order",
            "orders.change_delivery",
            "orders.hold_order",
            "fulfillment.view_shipment",
            "fulfillment.review_order",
            "fulfillment.manage_blacklist",
            "fulfillment.manage_waves",
            "fulfillment.pack_parcel",
            "fulfillment.ship_parcel",
            "aftersales.view_returnrequest",
            "aftersales.receive_return",
        ],
    ),
    # 客户主管: leads a team of 客服专员; reassigns and escalates tickets, edits the knowledge
    # base (咨询手册) and reads the training scores.
    "service_lead": (
        "客户主管",
        "Customer service supervisor",
        [
            "service.supervise_tickets",
            "service.edit_article",
            "service.view_quizattempt",
            "core.view_auditlog",
            "service.review_quality",
            "service.view_qareview",
            "service.view_agent_kpis",
            "service.change_callbackscript",
        ],
    ),
    # 采购主管: approves purchase orders above MERCATO_PO_LEAD_LIMIT, sees bank details.
    "procurement_lead": (
        "采购主管",
        "Procurement lead",
        [
            "procurement.approve_purchaseorder",
            "procurement.view_bank_details",
            # Warehouse network planning (仓储中心规划): see the plan, apply it.
            "inventory.view_warehouseprovince",
            "inventory.change_warehouseprovince",
            # Cycle-count variances above MERCATO_COUNT_APPROVAL_VALUE.
            "inventory.approve_count",
            # The margin report (毛利报表), with finance and operations.
            "orders.view_margin",
            "core.view_auditlog",
        ],
    ),
    "sysadmin": ("系统管理员", "System administrator", ["*"]),
}

DEPARTMENT_CODES = [code for code, *_ in DEPARTMENTS]


def department_group_name(code: str) -> str:
    return f"dept:{code}"


def role_group_name(code: str) -> str:
    return f"role:{code}"


def role_label(code: str) -> str:
    """A role's name in the current language (部门主管 / Department lead); the code when the
    role is unknown."""
    from django.utils.translation import get_language

    if code not in ROLES:
        return code
    name, name_en, _perms = ROLES[code]
    return name if (get_language() or "zh").startswith("zh") else name_en
