"""Customer accounts under /account/ (names live in the "storefront" namespace)."""

from django.urls import path

from . import views_account as views
from . import views_account_addresses as book
from . import views_coupons as coupons
from . import views_members as members

urlpatterns = [
    path("", views.account, name="account"),
    path("signup/", views.signup, name="signup"),
    path("signup/email/", views.signup_email, name="signup_email"),
    path("login/", views.login_view, name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("logout/", views.logout_view, name="logout"),
    path("reset/", views.reset, name="reset"),
    path("reset/email/", views.reset_email, name="reset_email"),
    path("reset/<str:uidb64>/<str:token>/", views.reset_confirm, name="reset_confirm"),
    path("profile/", views.profile, name="profile"),
    path("member/", members.member_center, name="member_center"),
    path("member/sign-in/", members.sign_in, name="member_sign_in"),
    path("member/coupons/", members.points_coupons, name="points_coupons"),
    path(
        "member/coupons/<int:template_id>/exchange/",
        members.exchange_points,
        name="points_exchange",
    ),
    path("coupons/", coupons.my_coupons, name="my_coupons"),
    path("coupons/code/", coupons.claim_code, name="coupon_code"),
    path("addresses/", book.addresses, name="addresses"),
    path("addresses/new/", book.address_new, name="address_new"),
    path("addresses/regions/", book.address_regions, name="address_regions"),
    path("addresses/<int:address_id>/", book.address_edit, name="address_edit"),
    path("addresses/<int:address_id>/delete/", book.address_delete, name="address_delete"),
    path("addresses/<int:address_id>/default/", book.address_default, name="address_default"),
]
