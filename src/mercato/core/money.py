"""Money to the fen: rounding and splitting an amount over lines so the parts add up.

Pure functions over Decimals (yuan with two places). Checkout's totals and promotions'
engine both spread discounts with `spread_discount`, so a line's share is the same
whichever of them computed it.
"""

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


def to_fen(amount: Decimal) -> Decimal:
    """Round a money amount half-up to the fen."""
    return Decimal(amount).quantize(FEN, rounding=ROUND_HALF_UP)


def spread_fen(*, weights: list[int], amount: int) -> list[int]:
    """Split `amount` whole fen over `weights` (whole fen each) in proportion to them, by the
    largest-remainder method: the shares add up exactly to `amount` and none exceeds its
    weight when `amount` <= sum(weights). Leftover fen go to the largest remainders; ties
    to the earlier weight, so the result is deterministic for a given order."""
    total = sum(weights)
    if amount <= 0 or total <= 0:
        return [0 for _w in weights]
    exact = [w * amount for w in weights]  # numerators over total
    shares = [e // total for e in exact]
    remainders = [e % total for e in exact]
    left = amount - sum(shares)
    # A weight with remainder > 0 has share < weight, so +1 fits.
    order = sorted(range(len(shares)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        shares[i] += 1
    return shares


def spread_discount(*, line_totals: list[Decimal], discount: Decimal) -> list[Decimal]:
    """Split `discount` over lines in proportion to their totals (largest-remainder method).

    Shares add up exactly to `discount` and none exceeds its line; `discount` must not exceed
    the sum of the lines.
    """
    shares = spread_fen(weights=[int(t / FEN) for t in line_totals], amount=int(discount / FEN))
    return [Decimal(s) * FEN for s in shares]
