"""Sending one-time codes by SMS through a backend chosen in settings.

Chinese SMS providers only deliver pre-approved templates with parameters, so a backend sends
"the code template for this purpose" with the code and its lifetime, not free text.

- ConsoleSmsBackend (the default): for development. Writes the message to MERCATO_SMS_FILE
  when that is set, or to standard error when DEBUG is on; otherwise drops it with a warning.
- LocmemSmsBackend: keeps messages in `outbox`, for tests.
- TencentSmsBackend: Tencent Cloud SMS (SendSms, API 2021-01-11), signed with TC3-HMAC-SHA256.
"""

import hashlib
import hmac
import json
import logging
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from mercato.core.masking import mask_phone

logger = logging.getLogger(__name__)

DEFAULT_BACKEND = "mercato.customers.sms.ConsoleSmsBackend"


class SmsDeliveryFailed(Exception):
    """The provider refused or could not be reached; the message says why (no number)."""


@dataclass(frozen=True)
class SmsMessage:
    mobile: str
    purpose: str
    code: str
    minutes: int


def get_backend():
    """The configured backend, built with its options from settings (read at call time)."""
    path = getattr(settings, "MERCATO_SMS_BACKEND", "") or DEFAULT_BACKEND
    options = getattr(settings, "MERCATO_SMS_OPTIONS", {}) or {}
    return import_string(path)(**options)


def send_code(*, mobile: str, purpose: str, code: str, minutes: int) -> None:
    get_backend().send(SmsMessage(mobile=mobile, purpose=purpose, code=code, minutes=minutes))
    logger.info("SMS %s code sent to %s", purpose, mask_phone(mobile))


class ConsoleSmsBackend:
    def __init__(self, path: str = "", **_options):
        self.path = path or getattr(settings, "MERCATO_SMS_FILE", "")

    def send(self, message: SmsMessage) -> None:
        line = (
            f"{timezone.now().isoformat()} SMS to {message.mobile} ({message.purpose}): "
            f"code {message.code}, valid {message.minutes} min\n"
        )
        # Printing the code is this backend's purpose, but only where the operator asked for
        # it: never into a production log by default.
        if self.path:
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(line)
        elif settings.DEBUG:
            sys.stderr.write(line)
        else:
            logger.warning(
                "No SMS provider configured: a %s code was not delivered "
                "(set MERCATO_SMS_BACKEND, or MERCATO_SMS_FILE for development)",
                message.purpose,
            )


class LocmemSmsBackend:
    outbox: list[SmsMessage] = []

    def __init__(self, **_options):
        pass

    def send(self, message: SmsMessage) -> None:
        LocmemSmsBackend.outbox.append(message)


def tc3_signature(*, secret_key: str, date: str, service: str, string_to_sign: str) -> str:
    """TC3-HMAC-SHA256: the key is derived from the date, then the service, then 'tc3_request'."""

    def _hmac(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()

    secret_date = _hmac(("TC3" + secret_key).encode("utf-8"), date)
    secret_service = _hmac(secret_date, service)
    secret_signing = _hmac(secret_service, "tc3_request")
    return hmac.new(secret_signing, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


class TencentSmsBackend:
    """Tencent Cloud SMS. Options (settings.MERCATO_SMS_OPTIONS): secret_id, secret_key,
    sdk_app_id, sign_name, templates ({purpose: template id}), region, endpoint, timeout."""

    service = "sms"
    action = "SendSms"
    version = "2021-01-11"
    content_type = "application/json; charset=utf-8"

    def __init__(
        self, *, secret_id: str, secret_key: str, sdk_app_id: str, sign_name: str,
        templates: dict[str, str], region: str = "ap-guangzhou",
        endpoint: str = "https://sms.tencentcloudapi.com/", timeout: float = 5.0,
    ):  # fmt: skip
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.sdk_app_id = sdk_app_id
        self.sign_name = sign_name
        self.templates = templates
        self.region = region
        if urlsplit(endpoint).scheme not in ("https", "http"):
            raise ValueError("The Tencent SMS endpoint must be an http(s) URL")
        self.endpoint = endpoint
        self.timeout = timeout

    def build_request(self, message: SmsMessage, *, timestamp: int) -> urllib.request.Request:
        body = json.dumps(
            {
                "PhoneNumberSet": ["+86" + message.mobile],
                "SmsSdkAppId": self.sdk_app_id,
                "SignName": self.sign_name,
                "TemplateId": self.templates[message.purpose],
                "TemplateParamSet": [message.code, str(message.minutes)],
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
        host = urlsplit(self.endpoint).netloc
        date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
        signed_headers = "content-type;host;x-tc-action"
        canonical_request = "\n".join(
            [
                "POST",
                "/",
                "",
                f"content-type:{self.content_type}\nhost:{host}\n"
                f"x-tc-action:{self.action.lower()}\n",
                signed_headers,
                hashlib.sha256(body).hexdigest(),
            ]
        )
        scope = f"{date}/{self.service}/tc3_request"
        string_to_sign = "\n".join(
            [
                "TC3-HMAC-SHA256",
                str(timestamp),
                scope,
                hashlib.sha256(canonical_request.encode("utf-8")).hexdigest(),
            ]
        )
        signature = tc3_signature(
            secret_key=self.secret_key,
            date=date,
            service=self.service,
            string_to_sign=string_to_sign,
        )
        authorization = (
            f"TC3-HMAC-SHA256 Credential={self.secret_id}/{scope}, "
            f"SignedHeaders={signed_headers}, Signature={signature}"
        )
        headers = {
            "Authorization": authorization,
            "Content-Type": self.content_type,
            "Host": host,
            "X-TC-Action": self.action,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": self.version,
            "X-TC-Region": self.region,
        }
        # The endpoint's scheme is checked in __init__ (http or https only).
        return urllib.request.Request(  # noqa: S310
            self.endpoint, data=body, headers=headers, method="POST"
        )

    def send(self, message: SmsMessage) -> None:
        request = self.build_request(message, timestamp=int(timezone.now().timestamp()))
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                payload = json.loads(response.read().decode("utf-8"))
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            raise SmsDeliveryFailed(f"Tencent Cloud SMS unreachable: {exc}") from exc
        result = payload.get("Response", {})
        if "Error" in result:
            error = result["Error"]
            raise SmsDeliveryFailed(
                f"Tencent Cloud SMS error {error.get('Code')}: {error.get('Message')}"
            )
        statuses = result.get("SendStatusSet") or [{}]
        if statuses[0].get("Code") != "Ok":
            raise SmsDeliveryFailed(
                f"Tencent Cloud SMS refused: {statuses[0].get('Code')} "
                f"{statuses[0].get('Message', '')}"
            )
