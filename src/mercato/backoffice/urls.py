from django.urls import include, path

from . import (
    views,
    views_audit,
    views_catalog,
    views_categories,
    views_customers,
    views_prices,
    views_staff,
    views_stock,
)

app_name = "backoffice"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("me/tokens/", views.token_list, name="token_list"),
    path("me/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    # Catalogue (网站运营部)
    path("catalog/products/", views_catalog.product_list, name="product_list"),
    path("catalog/products/new/", views_catalog.product_create, name="product_create"),
    path("catalog/products/<int:product_id>/", views_catalog.product_detail, name="product_detail"),
    path(
        "catalog/products/<int:product_id>/skus/generate/",
        views_catalog.sku_generate,
        name="sku_generate",
    ),
    path(
        "catalog/products/<int:product_id>/images/",
        views_catalog.image_upload,
        name="image_upload",
    ),
    path(
        "catalog/products/<int:product_id>/status/",
        views_catalog.product_status,
        name="product_status",
    ),
    path("catalog/images/<int:image_id>/delete/", views_catalog.image_delete, name="image_delete"),
    path("catalog/skus/<int:sku_id>/", views_catalog.sku_edit, name="sku_edit"),
    path("catalog/prices/", views_prices.price_change, name="price_change"),
    path("catalog/prices/preview/", views_prices.price_preview, name="price_preview"),
    path("catalog/prices/apply/", views_prices.price_apply, name="price_apply"),
    path("catalog/categories/", views_categories.category_tree, name="category_tree"),
    path("catalog/categories/new/", views_categories.category_create, name="category_create"),
    path(
        "catalog/categories/<int:category_id>/",
        views_categories.category_edit,
        name="category_edit",
    ),
    path(
        "catalog/categories/<int:category_id>/specs/",
        views_categories.category_specs,
        name="category_specs",
    ),
    path(
        "catalog/categories/<int:category_id>/rename/",
        views_categories.category_rename,
        name="category_rename",
    ),
    path(
        "catalog/categories/<int:category_id>/move/",
        views_categories.category_move,
        name="category_move",
    ),
    path("catalog/brands/", views_categories.brand_list, name="brand_list"),
    # Catalogue imports and exports live in their own module (views_imports.py).
    path("catalog/imports/", include("mercato.backoffice.imports_urls")),
    path("merch/", include("mercato.backoffice.merch_urls")),  # home-page slots (views_merch)
    path("coupons/", include("mercato.backoffice.coupons_urls")),  # coupons (views_coupons)
    path(
        "promotions/", include("mercato.backoffice.promotions_urls")
    ),  # promotions (views_promotions)
    # Search: synonyms, hot searches, zero-result log (views_search.py)
    path("search/", include("mercato.backoffice.search_urls")),
    path("payments/", include("mercato.backoffice.payments_urls")),  # 财务部 (views_payments)
    # The order console (客服部, 采购及物流部, 财务部): views_orders, views_phone_orders
    path("orders/", include("mercato.backoffice.orders_urls")),
    # 客户查询: a caller's account from their phone number, and their whole story
    path("customers/", views_customers.customer_search, name="customer_search"),
    path("customers/<int:customer_id>/", views_customers.customer_detail, name="customer_detail"),
    path(
        "customers/<int:customer_id>/points/",
        views_customers.customer_points,
        name="customer_points",
    ),
    # Order processing (采购及物流部): 审单 (views_review); picking, packing, shipping,
    # tracking and carriers (views_logistics)
    path("review/", include("mercato.backoffice.review_urls")),
    path("logistics/", include("mercato.backoffice.logistics_urls")),
    path("returns/", include("mercato.backoffice.returns_urls")),  # 退换货 (views_returns)
    # 库存 (采购及物流部): stock, one SKU's ledger, reconciliation (views_stock)
    path("stock/", views_stock.stock_list, name="stock_list"),
    path("stock/sku/<int:sku_id>/", views_stock.stock_sku, name="stock_sku"),
    path("stock/reconcile/", views_stock.stock_reconcile, name="stock_reconcile"),
    path("stock/counts/", include("mercato.backoffice.counts_urls")),  # 盘点 (views_counts)
    # 供应链指标 (views_kpis, analytics.supply)
    path("analytics/", include("mercato.backoffice.analytics_urls")),
    # 采购 (采购及物流部): suppliers, purchase orders, receiving (views_suppliers,
    # views_purchase_orders)
    path("procurement/", include("mercato.backoffice.procurement_urls")),
    # 产品咨询、口碑: questions, answers, reviews and blocked words (views_reviews)
    path("moderation/", include("mercato.backoffice.moderation_urls")),
    path("service/", include("mercato.backoffice.service_urls")),  # 客服工单 (views_service)
    # 技术部 and department leads
    path("audit/", views_audit.audit_list, name="audit_list"),
    # 人力资源部
    path("staff/", views_staff.staff_list, name="staff_list"),
    path("staff/new/", views_staff.staff_create, name="staff_create"),
    path("staff/<int:profile_id>/", views_staff.staff_edit, name="staff_edit"),
]
