"""What a query says about price: 1000元以下, 500以内, 2000左右, 300-500元, 千元机, 便宜, 高端.

The words are taken out of the query before it is read (no product's text holds 以下 or
便宜, and they must not be required) and order the matches instead: among the best
matches (a score close to the best one's), those in the price range come first, or the
cheaper (便宜, 平价, 性价比) or dearer (高端) third of them; the other matches follow in
their own order. Nothing is filtered out: the price facet does that when asked.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from . import text

# A match scoring at least this share of the best score is among the best matches: a
# match in the name (1) or only in the own category (0.75) is; one only in the details
# (0.3) is not (search.query's fields).
BEST_SHARE = 0.7
AROUND = Decimal("0.25")  # 2000左右: 1500 to 2500

_NUMBER = r"(\d+(?:\.\d+)?)\s*(千|万)?"
_MONEY = r"\s*(?:元|块钱|块|rmb)?"
_BELOW = re.compile(rf"(?:低于|不超过|不到|少于|小于|<)\s*¥?\s*{_NUMBER}{_MONEY}")
_BELOW_AFTER = re.compile(rf"¥?\s*{_NUMBER}{_MONEY}\s*(?:以下|以内|之内|之下|内)")
_ABOVE = re.compile(rf"(?:高于|超过|大于|>)\s*¥?\s*{_NUMBER}{_MONEY}")
_ABOVE_AFTER = re.compile(rf"¥?\s*{_NUMBER}{_MONEY}\s*(?:以上|之上)")
_AROUND = re.compile(rf"¥?\s*{_NUMBER}{_MONEY}\s*(?:左右|上下|附近)")
_RANGE = re.compile(rf"¥?\s*{_NUMBER}\s*(?:-|~|到|至)\s*{_NUMBER}\s*(?:元|块钱|块)")
_PRICED = re.compile(rf"(?:¥\s*{_NUMBER}|{_NUMBER}\s*(?:元|块钱|块))")
_SIDES = [
    (_BELOW, "high"), (_BELOW_AFTER, "high"), (_ABOVE, "low"), (_ABOVE_AFTER, "low"),
    (_AROUND, "around"), (_PRICED, "around"),
]  # fmt: skip
# 千元 is one to two thousand yuan (千元机: such a phone), 百元 one to two hundred.
_BAND = re.compile(r"(千|百)元(机)?")
CHEAP = ("便宜", "平价", "实惠", "低价", "白菜价", "性价比高", "性价比", "学生党", "划算", "廉价")
DEAR = ("高端", "高档", "顶配", "奢华")


@dataclass(frozen=True)
class PriceWish:
    low: Decimal | None = None
    high: Decimal | None = None
    cheap: bool = False  # the cheaper matches first
    dear: bool = False  # the dearer matches first

    def holds(self, price: Decimal) -> bool:
        return (self.low is None or price >= self.low) and (self.high is None or price <= self.high)


def _amount(digits: str, scale: str | None) -> Decimal:
    value = Decimal(digits)
    return value * (1000 if scale == "千" else 10000 if scale == "万" else 1)


def read_price(query: str) -> tuple[str, PriceWish | None]:
    """(the query without its price words, what they ask for or None)."""
    rest = text.normalize(query)
    low = high = None
    cheap = dear = False
    match = _RANGE.search(rest)
    if match:
        a, b = _amount(*match.groups()[:2]), _amount(*match.groups()[2:])
        low, high = min(a, b), max(a, b)
        rest = rest.replace(match.group(0), " ", 1)
    for pattern, side in _SIDES:
        match = pattern.search(rest)
        if not match or (low is not None or high is not None):
            continue
        groups = match.groups()
        digits, scale = (groups[0], groups[1]) if groups[0] else (groups[2], groups[3])
        amount = _amount(digits, scale)
        if side == "high":
            high = amount
        elif side == "low":
            low = amount
        else:
            low, high = amount * (1 - AROUND), amount * (1 + AROUND)
        rest = rest.replace(match.group(0), " ", 1)
    match = _BAND.search(rest)
    if match and low is None and high is None:
        unit = 1000 if match.group(1) == "千" else 100
        low, high = Decimal(unit), Decimal(unit * 2)
        # 千元机 is a phone (机 alone would be any machine).
        rest = rest.replace(match.group(0), " 手机 " if match.group(2) else " ", 1)
    for word in CHEAP:
        if word in rest:
            cheap, rest = True, rest.replace(word, " ")
    for word in DEAR:
        if word in rest:
            dear, rest = True, rest.replace(word, " ")
    if low is None and high is None and not cheap and not dear:
        return query, None
    rest = " ".join(rest.split())
    return rest, PriceWish(low, high, cheap and not dear, dear and not cheap)


def ordered(hits: list, wish: PriceWish | None) -> list:
    """The hits with the best matches that meet the wish first (see the module)."""
    if wish is None or not hits:
        return hits
    top = max(h.score for h in hits)
    best = [h for h in hits if h.score >= top * BEST_SHARE]
    others = [h for h in hits if h.score < top * BEST_SHARE]
    if wish.low is not None or wish.high is not None:
        wanted = wish.holds
    elif wish.cheap or wish.dear:
        prices = sorted(h.min_price for h in best)
        third = max(1, len(prices) // 3)
        cut = prices[third - 1] if wish.cheap else prices[-third]
        wanted = (lambda p: p <= cut) if wish.cheap else (lambda p: p >= cut)
    else:
        return best + others
    first = [h for h in best if wanted(h.min_price)]
    return first + [h for h in best if not wanted(h.min_price)] + others


def describe(wish: PriceWish | None) -> str:
    """The notice that says how prices ordered the list ("" when they did not)."""
    from django.utils.translation import gettext as _

    if wish is None:
        return ""
    low, high = (f"{v.normalize():f}" if v is not None else None for v in (wish.low, wish.high))
    if low is not None and high is not None:
        return _("Products from ¥%(low)s to ¥%(high)s are listed first.") % {
            "low": low,
            "high": high,
        }
    if high is not None:
        return _("Products up to ¥%(high)s are listed first.") % {"high": high}
    if low is not None:
        return _("Products from ¥%(low)s are listed first.") % {"low": low}
    if wish.cheap:
        return _("The cheaper of the best matches are listed first.")
    return _("The dearer of the best matches are listed first.")
