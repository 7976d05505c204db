"""Suppliers (views_suppliers.py) and purchase orders with receiving
(views_purchase_orders.py), under procurement/ in the backoffice namespace."""

from django.urls import path

from . import views_network as net
from . import views_purchase_lists as pl
from . import views_purchase_orders as po
from . import views_suppliers as sup
from . import views_tenders as td
from . import views_transfers as tr

urlpatterns = [
    path("suppliers/", sup.supplier_list, name="supplier_list"),
    path("suppliers/new/", sup.supplier_create, name="supplier_create"),
    path("suppliers/<int:supplier_id>/", sup.supplier_detail, name="supplier_detail"),
    path("suppliers/<int:supplier_id>/edit/", sup.supplier_edit, name="supplier_edit"),
    path(
        "suppliers/<int:supplier_id>/contacts/",
        sup.supplier_contact_add,
        name="supplier_contact_add",
    ),
    path(
        "suppliers/<int:supplier_id>/documents/",
        sup.supplier_document_add,
        name="supplier_document_add",
    ),
    path("suppliers/<int:supplier_id>/prices/", sup.supplier_price_add, name="supplier_price_add"),
    path(
        "suppliers/<int:supplier_id>/prices/import/",
        sup.supplier_price_import,
        name="supplier_price_import",
    ),
    path("receiving/", po.receiving_queue, name="receiving"),
    path("orders/", po.order_list, name="po_list"),
    path("orders/new/", po.order_create, name="po_create"),
    path("orders/<str:po_number>/", po.order_detail, name="po_detail"),
    path("orders/<str:po_number>/lines/", po.order_lines, name="po_lines"),
    path("orders/<str:po_number>/pdf/", po.order_pdf, name="po_pdf"),
    path("orders/<str:po_number>/receive/", po.order_receive, name="po_receive"),
    path("orders/<str:po_number>/<str:step>/", po.order_step, name="po_step"),
    path("transfers/", tr.transfer_list, name="transfer_list"),
    path("transfers/new/", tr.transfer_create, name="transfer_create"),
    path("transfers/<str:number>/", tr.transfer_detail, name="transfer_detail"),
    path("transfers/<str:number>/<str:step>/", tr.transfer_step, name="transfer_step"),
    path("rebalancing/", tr.rebalance_page, name="rebalance"),
    path("rebalancing/create/", tr.rebalance_create, name="rebalance_create"),
    path("network/", net.network_page, name="network"),
    path("network/apply/", net.network_apply, name="network_apply"),
    # Purchase lists and suggestions (采购名单, views_purchase_lists.py).
    path("purchase-lists/", pl.purchase_list_index, name="purchase_list_index"),
    path("purchase-lists/generate/", pl.purchase_list_generate, name="purchase_list_generate"),
    path("purchase-lists/new/", pl.purchase_list_create, name="purchase_list_create"),
    path(
        "purchase-lists/<int:purchase_list_id>/",
        pl.purchase_list_detail,
        name="purchase_list_detail",
    ),
    path(
        "purchase-lists/<int:purchase_list_id>/progress/",
        pl.purchase_list_progress,
        name="purchase_list_progress",
    ),
    path(
        "purchase-lists/<int:purchase_list_id>/retry/",
        pl.purchase_list_retry,
        name="purchase_list_retry",
    ),
    path(
        "purchase-lists/<int:purchase_list_id>/save/",
        pl.purchase_list_save,
        name="purchase_list_save",
    ),
    path(
        "purchase-lists/<int:purchase_list_id>/add/", pl.purchase_list_add, name="purchase_list_add"
    ),
    path(
        "purchase-lists/<int:purchase_list_id>/convert/",
        pl.purchase_list_convert,
        name="purchase_list_convert",
    ),
    # Tenders (招标, views_tenders.py).
    path("tenders/", td.tender_list, name="tender_list"),
    path("tenders/new/", td.tender_create, name="tender_create"),
    path("tenders/<int:tender_id>/", td.tender_detail, name="tender_detail"),
    path("tenders/<int:tender_id>/<str:step>/", td.tender_step, name="tender_step"),
    path("resource-tasks/", td.resource_tasks, name="resource_tasks"),
    path(
        "resource-tasks/<int:task_id>/<str:step>/",
        td.resource_task_step,
        name="resource_task_step",
    ),
]
