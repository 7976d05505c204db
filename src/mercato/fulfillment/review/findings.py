"""What a rule reports: the rule's code, the reason it holds the order for (one of
models.Reason: address, phone, incomplete, malicious, cod-risk) and a message."""

from typing import NamedTuple


class Finding(NamedTuple):
    rule: str
    reason: str
    message: str  # English, marked for translation (gettext_noop); shown translated
    detail: str = ""  # the value that fired, for the reviewer (never logged)

    def as_dict(self) -> dict:
        return {"rule": self.rule, "reason": self.reason, "message": self.message,
                "detail": self.detail}  # fmt: skip
