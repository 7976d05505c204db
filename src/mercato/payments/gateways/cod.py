"""货到付款 cash on delivery: no remote side. The order proceeds unpaid and is flagged for
review; the courier collects the amount, and order processing records the collection."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.utils.translation import gettext as _

from .base import (
    ExpectedAmount,
    NoticeReply,
    PaymentAction,
    PaymentRequest,
    RefundResult,
    RefundStatus,
    TradeStatus,
    VerifiedNotice,
    to_decimal,
    unverified,
)
from .refunds import check_refund_amount

NAME = "cod"


class CodGateway:
    name = NAME

    @classmethod
    def from_settings(cls) -> CodGateway:
        return cls()

    def create_payment(self, request: PaymentRequest) -> PaymentAction:
        amount = to_decimal(request.amount)
        message = _("Pay ¥%(amount)s in cash or by card when the parcel arrives.") % {
            "amount": amount
        }
        return PaymentAction(kind="none", amount=amount, message=message)

    def parse_notice(
        self, headers: Mapping[str, str], body: bytes | str, *, expect: ExpectedAmount | None = None
    ) -> VerifiedNotice:
        return unverified(NAME, "cash on delivery has no notices")

    def notice_reply(self, ok: bool) -> NoticeReply:
        return NoticeReply(status=404, body="no notices for cash on delivery")

    def query_trade(self, out_trade_no: str, **_) -> VerifiedNotice:
        return unverified(
            NAME, "cash on delivery is collected by the courier", out_trade_no=out_trade_no
        )

    def refund(
        self,
        *,
        out_trade_no: str,
        refund_no: str,
        amount: Decimal,
        total: Decimal,
        reason: str = "",
        trade_no: str = "",
        **_,
    ) -> RefundResult:
        """Nothing to send: finance pays the money back by hand (bank transfer, cash)."""
        amount = check_refund_amount(amount=amount, total=total)
        return RefundResult(NAME, refund_no, RefundStatus.MANUAL, amount)

    def close_trade(self, out_trade_no: str, **_) -> TradeStatus:
        return TradeStatus.CLOSED  # nothing remote to close

    def query_refund(self, *, refund_no: str, amount: Decimal, **_) -> RefundResult:
        """Nothing remote: a refund never recorded is recorded (again) as manual."""
        return RefundResult(NAME, refund_no, RefundStatus.NOT_FOUND, to_decimal(amount))
