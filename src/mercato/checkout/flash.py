"""Placing a flash sale (秒杀) order: the gate in front, the normal order services behind.

A flash purchase is bought at once (no cart): one line at the sale price, shipped to the
customer's address, paid online within MERCATO_FLASH_PAY_MINUTES. It does not combine
with promotions or coupons (the sale price is the offer), so its price comes from the sale
item, not from the promotions engine; totals, the order record, the payment countdown and
the stock reservation are the same services checkout.placement uses.

Order of work: the Redis gate (promotions.flash.try_take; no database query when it says
sold out or over the limit), then one transaction: the order record, the stock
reservation and the sale's database counts (conditional UPDATEs: exact whatever Redis
says). Behind Redis the counts come last, so the sale's hot row is locked only for the
end of the transaction; without Redis they come first, so refused buyers write nothing.
Any failure after the gate gives its units back.
"""

from dataclasses import dataclass
from functools import partial

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from mercato.core.errors import ValidationFailed
from mercato.core.money import to_fen
from mercato.inventory.allocation import OutOfStock
from mercato.inventory.reservations import PlanOutdated, reserve_stock_for_new_reference
from mercato.orders.selectors import order_for_stored_key, stored_idempotency_key
from mercato.orders.services import (
    COD,
    DeliveryAddress,
    PricedLine,
    next_order_number,
    write_order_record,
)
from mercato.promotions import flash

from .placement import Placement, _check_ip, _check_key, _check_payment_method, clean_address
from .services import RATE_FIELDS, fee_at_rate, shipping_rates
from .totals import compute_totals


@dataclass(frozen=True)
class FlashBuy:
    item_id: int
    quantity: int
    address: DeliveryAddress
    payment_method: str
    idempotency_key: str
    channel: str = "web"
    client_ip: str = ""


def _rate(province: str):
    row = shipping_rates(province=province).values_list(*RATE_FIELDS).first()
    return row


def place_flash_order(
    *, customer, buy: FlashBuy, actor=None, now=None, sale_id: int | None = None
) -> Placement:
    """Place `buy` for `customer` (a member: flash sales need an account for the limit).

    FlashRefused (SOLD_OUT, LIMIT_REACHED, NOT_STARTED, ENDED) when the sale says no;
    ValidationFailed for a bad address, payment method or key; a repeated key answers
    with the first order (created=False). `sale_id`: the sale the buy token was issued
    for (TOKEN_INVALID when the item is another sale's)."""
    if customer is None:
        raise ValidationFailed({"customer": [_("Log in to take part in flash sales.")]})
    if buy.payment_method == COD:
        raise ValidationFailed({"payment_method": [_("Flash sale orders are paid online.")]})
    payment_method = _check_payment_method(buy.payment_method)
    key = stored_idempotency_key(customer=customer, key=_check_key(buy.idempotency_key))
    address = clean_address(buy.address)
    qty = int(buy.quantity)
    if qty < 1:
        raise ValidationFailed({"quantity": [_("The quantity must be at least 1.")]})
    first = order_for_stored_key(customer=customer, stored_key=key)
    if first is not None:
        return Placement(order=first, created=False)
    item = flash.item_for_sale(buy.item_id)
    if sale_id is not None and item.sale_id != sale_id:
        raise flash.refused(flash.TOKEN_INVALID)
    flash.check_open(item.sale, now=now)
    if qty > item.per_customer_limit:
        raise flash.refused(flash.LIMIT_REACHED)
    if item.sold >= item.quantity:
        raise flash.refused(flash.SOLD_OUT)
    gated = flash.try_take(item, customer.user_id, qty)
    place = partial(
        _place,
        customer=customer,
        item=item,
        qty=qty,
        address=address,
        payment_method=payment_method,
        key=key,
        actor=actor,
        channel=buy.channel,
        client_ip=_check_ip(buy.client_ip),
        gated=gated,
    )
    try:
        try:
            return place(lock_all=False)
        except PlanOutdated:
            # Another order took the units the stock plan chose: plan again on locked rows.
            return place(lock_all=True)
    except IntegrityError:
        if gated:
            flash.give_back(item.pk, customer.user_id, qty)
        first = order_for_stored_key(customer=customer, stored_key=key)
        if first is None:
            raise
        return Placement(order=first, created=False)
    except BaseException:
        if gated:
            flash.give_back(item.pk, customer.user_id, qty)
        raise


@transaction.atomic
def _place(
    *,
    customer,
    item,
    qty,
    address,
    payment_method,
    key,
    actor,
    channel,
    client_ip,
    lock_all,
    gated,
):
    sku = item.sku
    price = item.price
    weight_g = sku.weight_g * qty
    fee = fee_at_rate(
        _rate(address.province),
        province=address.province,
        weight_g=weight_g,
        goods_total=to_fen(price * qty),
    )
    totals = compute_totals(lines=[(price, qty)], shipping_fee=fee)
    line = PricedLine(
        sku_id=sku.pk,
        product_id=sku.product_id,
        product_name=sku.product.name,
        sku_code=sku.code,
        unit_price=price,
        quantity=qty,
        specs=sku.specs,
        discount_share=totals.lines[0].discount_share,
        unit_cost=sku.cost_price,
    )
    number = next_order_number()
    take = partial(
        flash.take_units, item=item, customer_id=customer.pk, qty=qty, order_number=number
    )
    if not gated:
        # The database is the whole gate: its counts first (conditional UPDATEs, exact under
        # any concurrency), so a buyer the sale refuses leaves before anything is written.
        take()
    order = write_order_record(
        customer=customer,
        lines=[line],
        lines_total=totals.lines_total,
        shipping_fee=totals.shipping_fee,
        discount_total=totals.discount_total,
        total=totals.total,
        payment_method=payment_method,
        address=address,
        note=_("Flash sale: %(sale)s") % {"sale": item.sale.name},
        idempotency_key=key,
        actor=actor,
        number=number,
        channel=channel,
        client_ip=client_ip,
        pay_minutes=flash.pay_minutes(),
    )
    try:
        reserve_stock_for_new_reference(
            lines=[(sku.pk, qty)],
            province=address.province,
            reference=order.number,
            actor=actor,
            lock_all=lock_all,
        )
    except OutOfStock:
        raise flash.refused(flash.SOLD_OUT) from None
    if gated:
        # Redis let this buyer through: the counts confirm it last, so the sale's row is
        # locked only from here to the commit and the next winner hardly waits for it.
        take()
    return Placement(order=order, created=True)
