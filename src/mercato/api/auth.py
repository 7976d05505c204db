"""Who is calling: a staff API token, a logged-in staff session, or nobody.

A token acts as its owner: write endpoints pass the user to the services, which check
the owner's permissions, so a token can never do more than the person who made it.
"""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from mercato.cart.models import Cart
from mercato.cart.selectors import find_cart
from mercato.cart.services import get_or_create_cart
from mercato.core.csrf import get_token
from mercato.staff.services import user_for_token


def _refuse_without(user, permission: str | None) -> None:
    # Before the body is read: a caller without the permission gets 403 whatever it sent.
    if permission and not user.has_perm(permission):
        raise HttpError(403, _("Permission required: %(perm)s") % {"perm": permission})


class TokenAuth(HttpBearer):
    """`Authorization: Bearer mk_...`: the active owner of an unrevoked token (holding
    `permission`, when given)."""

    def __init__(self, permission: str | None = None):
        super().__init__()
        self.permission = permission

    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is None:
            return None
        # Code below reads request.user; make it the token's owner, not the anonymous user.
        request.user = user
        _refuse_without(user, self.permission)
        return user


class StaffSessionAuth(APIKeyCookie):
    """The back-office session of a logged-in staff member, with Django's CSRF check."""

    def __init__(self, permission: str | None = None):
        self.param_name = settings.SESSION_COOKIE_NAME
        self.permission = permission
        super().__init__(csrf=True)

    def __call__(self, request):
        # A caller that sent a token is judged by the token alone; one with no session
        # gets 401, not the CSRF failure (403) that checking the cookie would give.
        if "Authorization" in request.headers or not _is_staff(request.user):
            return None
        return super().__call__(request)

    def authenticate(self, request, key):
        _refuse_without(request.user, self.permission)
        return request.user


def _is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


# Every endpoint that changes something, and the token endpoints, require one of these.
staff_auth = [TokenAuth(), StaffSessionAuth()]


def requires(permission: str) -> dict:
    """Operation arguments for a staff endpoint that needs `permission`:
    `@router.post("/x", **requires("catalog.add_product"), ...)`. A caller without it is
    refused with 403 before the body is read (the service checks it again), and the
    OpenAPI document names it (`x-permission`), which the role walk test reads."""
    return {
        "auth": [TokenAuth(permission), StaffSessionAuth(permission)],
        "openapi_extra": {"x-permission": permission},
    }


def viewer(request):
    """The caller of a public endpoint: the token's owner, the session user, or anonymous.

    A token that is sent but not valid is an error (401) even here, so a client with a
    revoked token finds out instead of silently seeing the public view.
    """
    if "Authorization" in request.headers:
        user = TokenAuth()(request)
        if user is None:
            raise AuthenticationError()
        return user
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_active:
        return user
    return AnonymousUser()


class ShopperAuth:
    """A shopper of the shop: a logged-in customer or a guest with a session.

    The browser's session cookie identifies them, so every unsafe method passes Django's
    CSRF check (send the `csrftoken` cookie's value in `X-CSRFToken`); a failed check is a
    403 in the API's error format. A safe call sets the `csrftoken` cookie, so a client
    that starts with GET has the token for its first write. A guest without a session gets
    one on their first call; the cart and orders endpoints find the customer or the guest's
    cart through mercato.storefront.cartctx.
    """

    def __call__(self, request):
        if request.method in SAFE_METHODS:
            get_token(request)
        elif check_csrf(request):
            raise HttpError(
                403, "CSRF check failed: send the csrftoken cookie's value in X-CSRFToken"
            )
        if request.session.session_key is None:
            request.session.save()
        return request.user if request.user.is_authenticated else AnonymousUser()


SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
shopper_auth = ShopperAuth()


def shopper_customer(request):
    """The Customer behind a shopper_auth call, or None (a guest, a user without a profile)."""
    user = getattr(request, "auth", None) or request.user
    return getattr(user, "customer", None) if user.is_authenticated else None


def shopper_cart(request, *, create: bool = False) -> Cart | None:
    """The cart the shop's pages show this shopper (storefront/cartctx.py finds the same):
    the customer's own, else the guest cart of the session shopper_auth made sure exists."""
    customer = shopper_customer(request)
    session_key = request.session.session_key
    if create:
        return get_or_create_cart(customer=customer, session_key=session_key)
    return find_cart(customer=customer, session_key=session_key)
