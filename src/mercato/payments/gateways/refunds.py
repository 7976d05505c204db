"""Checks every gateway makes before sending a refund."""

from decimal import Decimal

from mercato.core.errors import DomainError

from .base import to_decimal


def check_refund_amount(*, amount: Decimal, total: Decimal) -> Decimal:
    """The refund amount to the fen, more than zero and at most the trade's total.

    The sum over all refunds of a payment is checked by the refund model, which knows them.
    """
    try:
        amount, total = to_decimal(amount), to_decimal(total)
    except (TypeError, ValueError, ArithmeticError) as error:
        raise DomainError(f"not an amount to the fen: {error}", field="amount") from error
    if amount <= 0:
        raise DomainError("a refund must be more than zero", field="amount")
    if amount > total:
        raise DomainError(f"a refund of {amount} exceeds the total {total}", field="amount")
    return amount
