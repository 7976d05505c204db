"""The cart of the person behind a request: a member's own cart, or the guest cart of the
session. Shared by the cart, checkout and API views."""

from mercato.cart.models import Cart
from mercato.cart.services import get_or_create_cart


def request_customer(request):
    """The Customer of a logged-in shopper, else None (staff without a profile too)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "customer", None)


def cart_for_request(request, *, create: bool = False) -> Cart | None:
    """The request's cart; with create=False, None when there is none yet (no write)."""
    customer = request_customer(request)
    if customer is not None:
        if create:
            return get_or_create_cart(customer=customer)
        return Cart.objects.filter(customer=customer).first()
    session_key = request.session.session_key
    if session_key is None:
        if not create:
            return None
        request.session.save()  # a guest cart is keyed on the session: make one now
        session_key = request.session.session_key
    if create:
        return get_or_create_cart(session_key=session_key)
    return Cart.objects.filter(customer=None, session_key=session_key).first()
