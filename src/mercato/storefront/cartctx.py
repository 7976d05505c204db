"""The cart of the person behind a request: a member's own cart, or the guest cart of the
session. Shared by the cart, checkout and API views."""

from mercato.cart.models import Cart
from mercato.cart.selectors import find_cart
from mercato.cart.services import get_or_create_cart, merge_carts


def request_customer(request):
    """The Customer of a logged-in shopper, else None (staff without a profile too)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "customer", None)


def cart_for_request(request, *, create: bool = False) -> Cart | None:
    """The request's cart; with create=False, None when there is none yet (no write)."""
    customer = request_customer(request)
    if not create:
        return find_cart(customer=customer, session_key=request.session.session_key)
    if customer is None and request.session.session_key is None:
        request.session.save()  # a guest cart is keyed on the session: make one now
    return get_or_create_cart(customer=customer, session_key=request.session.session_key)


def guest_cart_before_login(request) -> Cart | None:
    """The guest cart of this session, read before log-in: login() cycles the session key,
    after which the guest cart can no longer be found by it."""
    if request_customer(request) is not None:
        return None  # a member switching accounts brings no guest cart
    return cart_for_request(request)


def merge_guest_cart(*, guest_cart: Cart | None, user) -> None:
    """After log-in (password, SMS code, sign-up): the guest's lines join the member's cart."""
    customer = getattr(user, "customer", None)  # staff without a profile have no cart
    if guest_cart is not None and customer is not None:
        merge_carts(guest_cart=guest_cart, customer=customer)
