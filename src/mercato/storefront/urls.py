from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path

from . import views, views_chat, views_reviews
from .sitemaps import SITEMAPS

app_name = "storefront"
urlpatterns = [
    path("", views.home, name="home"),
    # Each part of the shop has its own module: pages (views.py), search, accounts.
    path("search/", include("mercato.storefront.search_urls")),
    path("account/", include("mercato.storefront.account_urls")),
    path("cart/", include("mercato.storefront.cart_urls")),
    path("checkout/", include("mercato.storefront.checkout_urls")),
    path("orders/", include("mercato.storefront.orders_urls")),
    path("coupons/", include("mercato.storefront.coupons_urls")),
    path("flash/", include("mercato.storefront.flash_urls")),
    path("c/<slug:slug>/", views.category, name="category"),
    path("p/<slug:slug>/", views.product, name="product"),
    # Product questions and reviews (views_reviews.py)
    path("p/<slug:slug>/reviews/", views_reviews.product_reviews, name="product_reviews"),
    path("p/<slug:slug>/ask/", views_reviews.ask_question, name="ask_question"),
    path("p/<slug:slug>/questions/", views_reviews.product_questions, name="product_questions"),
    path(
        "p/<slug:slug>/questions/<int:question_id>/answer/",
        views_reviews.answer_question,
        name="answer_question",
    ),
    path("chat/session/", views_chat.chat_session, name="chat_session"),  # the live chat widget
    path("province/", views.choose_province, name="province"),
    path("language/", views.choose_language, name="language"),
    path("robots.txt", views.robots_txt, name="robots"),
    path(
        "sitemap.xml",
        sitemap_views.index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "storefront:sitemap_section"},
        name="sitemap_index",
    ),
    path(
        "sitemap-<section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": SITEMAPS},
        name="sitemap_section",
    ),
]
