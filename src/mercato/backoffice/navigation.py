"""The back office's left navigation: a plain list of workspaces and their entries.

Later issues add a workspace or an entry by appending here. Each entry names the permission
it needs; the menu shows only entries the user holds, but every view checks the permission
again itself (see access.py): the menu is a convenience, never the enforcement.
"""

from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


@dataclass(frozen=True)
class Entry:
    label: str
    url_name: str
    # One permission, a tuple meaning "any of these", or None for every staff member.
    perm: str | tuple[str, ...] | None = None
    # Other URL names that highlight this entry (its detail and edit pages).
    also_active: tuple[str, ...] = ()


@dataclass(frozen=True)
class Workspace:
    code: str
    label: str
    entries: list[Entry] = field(default_factory=list)


NAVIGATION: list[Workspace] = [
    Workspace(
        "orders",
        _("Orders"),
        [
            Entry(
                _("Order console"),
                "backoffice:order_list",
                "orders.view_order",
                also_active=("backoffice:order_detail",),
            ),
            Entry(
                _("New phone order"),
                "backoffice:phone_order_start",
                "orders.place_phone_order",
                also_active=("backoffice:phone_order",),
            ),
            Entry(
                _("Find a customer"),
                "backoffice:customer_search",
                "customers.view_customer",
                also_active=("backoffice:customer_detail",),
            ),
        ],
    ),
    Workspace(
        "service",
        pgettext_lazy("back office menu", "Customer service"),
        [
            Entry(
                _("Tickets"),
                "backoffice:ticket_list",
                "service.view_ticket",
                also_active=("backoffice:ticket_detail",),
            ),
            Entry(_("New ticket"), "backoffice:ticket_create", "service.add_ticket"),
            Entry(_("Live chat"), "backoffice:chat_console", "service.handle_ticket"),
            Entry(
                _("Knowledge base"),
                "backoffice:kb_list",
                "service.view_article",
                also_active=(
                    "backoffice:kb_article",
                    "backoffice:kb_create",
                    "backoffice:kb_edit",
                    "backoffice:kb_diff",
                ),
            ),  # fmt: skip
            Entry(
                _("Training"),
                "backoffice:training",
                "service.view_article",
                also_active=(
                    "backoffice:quiz_take",
                    "backoffice:quiz_result",
                    "backoffice:training_scores",
                ),
            ),  # fmt: skip
            Entry(
                _("Callbacks"),
                "backoffice:callback_list",
                "service.view_callback",
                also_active=(
                    "backoffice:callback_detail",
                    "backoffice:callback_create",
                    "backoffice:callback_scripts",
                ),
            ),
            Entry(
                _("Quality review"),
                "backoffice:qa_queue",
                "service.review_quality",
                also_active=("backoffice:qa_review",),
            ),
            Entry(_("Agent KPIs"), "backoffice:kpi_page", "service.view_agent_kpis"),
            Entry(
                _("Product reviews"),
                "backoffice:moderation_reviews",
                "reviews.moderate_content",
                also_active=("backoffice:moderation_review",),
            ),
            Entry(
                _("Product questions"),
                "backoffice:moderation_questions",
                ("reviews.moderate_content", "reviews.answer_question"),
                also_active=("backoffice:moderation_question",),
            ),
            Entry(
                _("Answers to check"), "backoffice:moderation_answers", "reviews.moderate_content"
            ),
            Entry(_("Blocked words"), "backoffice:blocked_words", "reviews.manage_blocked_words"),
        ],
    ),
    Workspace(
        "logistics",
        _("Order processing"),
        [
            Entry(
                _("Order review"),
                "backoffice:review_queue",
                "fulfillment.review_order",
                also_active=("backoffice:review_detail",),
            ),
            Entry(_("Review rules"), "backoffice:review_rules", "fulfillment.manage_review_rules"),
            Entry(_("Blacklist"), "backoffice:blacklist", "fulfillment.manage_blacklist"),
            Entry(
                _("Check an address"),
                "backoffice:address_check",
                ("fulfillment.review_order", "fulfillment.manage_review_rules"),
            ),
            Entry(
                _("Picking waves"),
                "backoffice:wave_list",
                "fulfillment.manage_waves",
                also_active=("backoffice:wave_detail",),
            ),
            Entry(
                _("Packing"),
                "backoffice:pack_station",
                "fulfillment.pack_parcel",
                also_active=("backoffice:pack_parcel",),
            ),
            Entry(_("Refused parcels"), "backoffice:refused_list", "fulfillment.ship_parcel"),
            Entry(
                _("Tracking upload"), "backoffice:tracking_upload", "fulfillment.upload_tracking"
            ),
            Entry(_("Carriers"), "backoffice:carrier_list", "fulfillment.manage_carriers"),
            Entry(
                _("Delivery audit"), "backoffice:delivery_audit", "fulfillment.view_delivery_audit"
            ),
            Entry(_("Late parcels"), "backoffice:late_parcels", "fulfillment.view_delivery_audit"),
            Entry(
                _("Carrier penalties"), "backoffice:penalties", "fulfillment.view_delivery_audit"
            ),
            Entry(
                _("Returns and exchanges"),
                "backoffice:return_list",
                "aftersales.view_returnrequest",
                also_active=("backoffice:return_detail",),
            ),
        ],
    ),
    Workspace(
        "procurement",
        pgettext_lazy("back office menu", "Purchasing"),
        [
            Entry(
                _("Suppliers"),
                "backoffice:supplier_list",
                "procurement.view_supplier",
                also_active=(
                    "backoffice:supplier_detail",
                    "backoffice:supplier_edit",
                    "backoffice:supplier_create",
                ),
            ),
            Entry(
                _("Purchase orders"),
                "backoffice:po_list",
                "procurement.view_purchaseorder",
                also_active=("backoffice:po_detail", "backoffice:po_create"),
            ),
            Entry(
                _("Receiving"),
                "backoffice:receiving",
                "procurement.receive_goods",
                also_active=("backoffice:po_receive",),
            ),
            Entry(
                _("Transfers"),
                "backoffice:transfer_list",
                "procurement.view_transferorder",
                also_active=("backoffice:transfer_detail", "backoffice:transfer_create"),
            ),
            Entry(
                _("Rebalancing"),
                "backoffice:rebalance",
                "procurement.view_transferorder",
            ),
            Entry(
                _("Warehouse network"),
                "backoffice:network",
                "inventory.view_warehouseprovince",
            ),
            Entry(
                _("Purchase lists"),
                "backoffice:purchase_list_index",
                "procurement.view_purchaselist",
                also_active=("backoffice:purchase_list_detail",),
            ),
            Entry(
                _("Tenders"),
                "backoffice:tender_list",
                "procurement.view_tender",
                also_active=("backoffice:tender_detail", "backoffice:tender_create"),
            ),
        ],
    ),
    Workspace(
        "stock",
        _("Stock"),
        [
            Entry(
                _("Stock"),
                "backoffice:stock_list",
                "inventory.view_stock",
                also_active=("backoffice:stock_sku",),
            ),
            Entry(_("Stock reconciliation"), "backoffice:stock_reconcile", "inventory.view_stock"),
            Entry(
                _("Cycle counts"),
                "backoffice:count_list",
                "inventory.view_stock",
                also_active=("backoffice:count_detail",),
            ),
            Entry(_("Supply-chain KPIs"), "backoffice:supply_kpis", "inventory.view_stock"),
        ],
    ),
    Workspace(
        "catalog",
        _("Catalogue"),
        [
            Entry(
                pgettext_lazy("back office menu", "Products"),
                "backoffice:product_list",
                "catalog.view_product",
                also_active=("backoffice:product_detail", "backoffice:sku_edit"),
            ),
            Entry(_("New product"), "backoffice:product_create", "catalog.add_product"),
            Entry(
                _("Bulk price change"),
                "backoffice:price_change",
                "catalog.change_price",
                also_active=("backoffice:price_preview", "backoffice:price_apply"),
            ),
            Entry(
                _("Categories"),
                "backoffice:category_tree",
                "catalog.view_category",
                also_active=("backoffice:category_edit",),
            ),
            Entry(_("Brands"), "backoffice:brand_list", "catalog.view_brand"),
            Entry(
                _("Promotions"),
                "backoffice:promotions",
                "promotions.view_promotion",
                also_active=(
                    "backoffice:promotion",
                    "backoffice:promotion_new",
                    "backoffice:promotion_edit",
                ),
            ),
            Entry(
                _("Campaign calendar"), "backoffice:promotion_calendar", "promotions.view_promotion"
            ),
            Entry(
                _("Flash sales"),
                "backoffice:flash_sales",
                "promotions.view_promotion",
                also_active=(
                    "backoffice:flash_sale",
                    "backoffice:flash_sale_new",
                    "backoffice:flash_sale_edit",
                ),
            ),
            Entry(
                _("Coupons"),
                "backoffice:coupon_templates",
                "promotions.view_coupontemplate",
                also_active=(
                    "backoffice:coupon_template",
                    "backoffice:coupon_template_new",
                    "backoffice:coupon_template_edit",
                    "backoffice:coupon_job",
                    "backoffice:coupon_detail",
                ),
            ),
            Entry(
                _("Home page slots"),
                "backoffice:merch_slots",
                "catalog.manage_merchandising",
                also_active=("backoffice:merch_slot_edit",),
            ),
            Entry(
                _("Resources promised to suppliers"),
                "backoffice:resource_tasks",
                "procurement.view_resourcetask",
            ),
            Entry(
                _("Import & export"),
                "backoffice:imports",
                ("catalog.import_products", "catalog.export_products"),
            ),
            Entry(_("Search"), "backoffice:search_overview", "search.manage_search"),
        ],
    ),
    Workspace(
        "finance",
        _("Finance"),
        [
            Entry(
                _("Payments and refunds"),
                "backoffice:payment_list",
                "payments.view_payment",
                also_active=("backoffice:payment_detail",),
            ),
            Entry(
                _("COD remittances"),
                "backoffice:remittances",
                "fulfillment.reconcile_cod",
                also_active=("backoffice:remittance_detail",),
            ),
            Entry(_("Margin report"), "backoffice:margin_report", "orders.view_margin"),
        ],
    ),
    Workspace(
        "hr",
        _("People"),
        [
            Entry(
                _("Staff"),
                "backoffice:staff_list",
                "staff.manage_staff",
                also_active=("backoffice:staff_create", "backoffice:staff_edit"),
            ),
        ],
    ),
    Workspace(
        "system",
        _("System"),
        [Entry(_("Audit log"), "backoffice:audit_list", "core.view_auditlog")],
    ),
    Workspace(
        "account",
        _("My account"),
        [Entry(_("My API tokens"), "backoffice:token_list")],
    ),
]


def user_may(user, perm: str | tuple[str, ...] | None) -> bool:
    if perm is None:
        return bool(user.is_authenticated and user.is_staff)
    perms = (perm,) if isinstance(perm, str) else perm
    return any(user.has_perm(p) for p in perms)


@dataclass(frozen=True)
class MenuItem:
    label: str
    url: str
    active: bool


def menu_for(user, current_url_name: str | None) -> list[tuple[str, list[MenuItem]]]:
    """[(workspace label, [items])] holding only what `user` may open; empty groups dropped.

    An entry whose URL is not defined (yet) is left out rather than breaking the page.
    """
    menu = []
    for workspace in NAVIGATION:
        items = []
        for entry in workspace.entries:
            if not user_may(user, entry.perm):
                continue
            try:
                url = reverse(entry.url_name)
            except NoReverseMatch:
                continue
            names = (entry.url_name, *entry.also_active)
            items.append(MenuItem(str(entry.label), url, current_url_name in names))
        if items:
            menu.append((str(workspace.label), items))
    return menu
