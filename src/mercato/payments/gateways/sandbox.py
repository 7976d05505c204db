"""A sandbox gateway for the demo and development: no money moves.

The approve/decline page (wired by the orders work) is reached through `pay_url`, whose
parameters are HMAC-signed so the page can show them; approving or declining posts a
notice signed with the same secret, which `parse_notice` verifies like a real one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings

from . import conf
from .base import (
    BadNotice,
    ExpectedAmount,
    NoticeReply,
    PaymentAction,
    PaymentRequest,
    RefundResult,
    RefundStatus,
    TradeStatus,
    VerifiedNotice,
    check_trade,
    parse_yuan,
    read_form,
    to_decimal,
    unverified,
)
from .refunds import check_refund_amount

NAME = "sandbox"
STATUSES = {
    "paid": TradeStatus.PAID,
    "declined": TradeStatus.FAILED,
    "refunded": TradeStatus.REFUNDED,
}
DEFAULT_PAY_URL = "/payments/sandbox/pay/"


@dataclass(frozen=True)
class SandboxConfig:
    secret: bytes
    pay_url: str = DEFAULT_PAY_URL

    @classmethod
    def from_settings(cls) -> SandboxConfig:
        secret = conf.setting("MERCATO_SANDBOX_PAY_SECRET")
        if not secret:  # derived, so the demo needs no setting and no other use can collide
            secret = hmac.new(
                settings.SECRET_KEY.encode(), b"mercato.payments.sandbox", hashlib.sha256
            ).hexdigest()
        return cls(
            secret=secret.encode(), pay_url=conf.setting("MERCATO_SANDBOX_PAY_URL", DEFAULT_PAY_URL)
        )


class SandboxGateway:
    name = NAME

    def __init__(self, config: SandboxConfig):
        self.config = config

    @classmethod
    def from_settings(cls) -> SandboxGateway:
        return cls(SandboxConfig.from_settings())

    def sign(self, fields: Mapping[str, str]) -> str:
        content = "&".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "signature")
        return hmac.new(self.config.secret, content.encode(), hashlib.sha256).hexdigest()

    def has_valid_signature(self, fields: Mapping[str, str]) -> bool:
        # bytes: compare_digest refuses non-ASCII str, and a forged value may hold any
        given = str(fields.get("signature", "")).encode()
        return hmac.compare_digest(self.sign(fields).encode(), given)

    def sandbox_pay_url(self, request: PaymentRequest) -> str:
        """The approve/decline page's URL, its parameters signed against tampering."""
        fields = {
            "out_trade_no": request.out_trade_no,
            "amount": str(to_decimal(request.amount)),
            "subject": request.subject,
            "return_url": request.return_url,
            "notify_url": request.notify_url,
        }
        fields["signature"] = self.sign(fields)
        return f"{self.config.pay_url}?{urlencode(fields)}"

    def create_payment(self, request: PaymentRequest) -> PaymentAction:
        return PaymentAction(
            kind="redirect", amount=to_decimal(request.amount), url=self.sandbox_pay_url(request)
        )

    def sign_notice(
        self,
        *,
        out_trade_no: str,
        amount: Decimal,
        status: str = "paid",
        refund_no: str = "",
        refund_amount: Decimal | None = None,
    ) -> str:
        """The notice the sandbox page posts when the tester approves, declines or refunds."""
        if status not in STATUSES:
            raise ValueError(f"unknown sandbox status {status!r}")
        fields = {
            "out_trade_no": out_trade_no,
            "trade_no": f"SB{out_trade_no}",
            "amount": str(to_decimal(amount)),
            "status": status,
            "notice_id": secrets.token_hex(8),
        }
        if refund_no:
            fields |= {"refund_no": refund_no, "refund_amount": str(to_decimal(refund_amount))}
        fields["signature"] = self.sign(fields)
        return urlencode(fields)

    def parse_notice(
        self, headers: Mapping[str, str], body: bytes | str, *, expect: ExpectedAmount | None = None
    ) -> VerifiedNotice:
        try:
            raw, fields = read_form(body, max_fields=20)
        except BadNotice as bad:
            return unverified(NAME, bad.problem, raw=bad.raw)
        if not self.has_valid_signature(fields):
            return unverified(NAME, "the signature does not verify", raw=raw)
        status = STATUSES.get(fields.get("status", ""), TradeStatus.UNKNOWN)
        notice = VerifiedNotice(
            gateway=NAME,
            verified=True,
            signature_valid=True,
            status=status,
            out_trade_no=fields.get("out_trade_no", ""),
            trade_no=fields.get("trade_no", ""),
            amount=parse_yuan(fields.get("amount", "")),
            refund_no=fields.get("refund_no", ""),
            refund_amount=parse_yuan(fields.get("refund_amount", "")),
            notice_id=fields.get("notice_id", ""),
            raw=raw,
            data=fields,
        )
        if notice.amount is None or status is TradeStatus.UNKNOWN:
            return notice.refused("amount or status is missing")
        return check_trade(notice, expect)

    def notice_reply(self, ok: bool) -> NoticeReply:
        return NoticeReply(status=200, body="ok") if ok else NoticeReply(400, "failure")

    def query_trade(self, out_trade_no: str, **_) -> VerifiedNotice:
        return unverified(
            NAME, "the sandbox keeps no trades: its page posts a notice", out_trade_no=out_trade_no
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
        """Refunds succeed at once; the sandbox has no money to move."""
        amount = check_refund_amount(amount=amount, total=total)
        return RefundResult(
            NAME,
            refund_no,
            RefundStatus.SUCCESS,
            amount,
            trade_no=trade_no,
            refund_id=f"SBR{refund_no}",
        )

    def close_trade(self, out_trade_no: str, **_) -> TradeStatus:
        """The sandbox keeps no trades: nothing to close."""
        return TradeStatus.CLOSED

    def query_refund(self, *, refund_no: str, amount: Decimal, **_) -> RefundResult:
        """Sandbox refunds succeed when sent: one never sent is sent again."""
        return RefundResult(NAME, refund_no, RefundStatus.NOT_FOUND, to_decimal(amount))
