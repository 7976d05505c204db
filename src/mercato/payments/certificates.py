"""WeChat Pay platform certificates: downloaded from /v3/certificates and kept in the
database, so every process verifies answers and notices signed with any serial now in
use. WeChat Pay adds a new certificate to the list 24 hours before it signs with it:
the beat task refreshes every 6 hours, and a notice naming a serial we do not hold
triggers a refresh at once (at most once a minute), so a rotation never turns genuine
notices into "forged" ones. The platform public-key mode needs none of this: its key
(and the next one, during a rotation) is configured (WECHATPAY_PLATFORM_KEYS_DIR)."""

import logging

from cryptography import x509
from django.core.cache import cache

from .gateways import get_gateway
from .gateways.base import GatewayError, GatewayNotConfigured
from .models import WechatPayCertificate

log = logging.getLogger(__name__)
REFRESH_LOCK = "payments:wechatpay-certificates-refresh"
REFRESH_AT_MOST_EVERY_SECONDS = 60


def stored_platform_keys() -> dict:
    """serial → public key of every downloaded platform certificate."""
    found = {}
    for serial, pem in WechatPayCertificate.objects.values_list("serial_no", "pem"):
        try:
            found[serial] = x509.load_pem_x509_certificate(pem.encode()).public_key()
        except ValueError:
            log.warning("stored WeChat Pay certificate %s cannot be read", serial)
    return found


def refresh_wechatpay_certificates() -> int:
    """Download the platform certificates and store the ones we do not hold; returns how
    many are stored now (0 when WeChat Pay is not configured or cannot be reached)."""
    try:
        gateway = get_gateway("wechatpay")
        certificates = gateway.download_certificates()
    except GatewayNotConfigured:
        return 0
    except GatewayError as error:
        log.warning("WeChat Pay certificates not refreshed: %s", error.message)
        return WechatPayCertificate.objects.count()
    for certificate in certificates:
        WechatPayCertificate.objects.update_or_create(
            serial_no=certificate.serial_no,
            defaults={
                "pem": certificate.pem,
                "effective_time": certificate.effective_time,
                "expire_time": certificate.expire_time,
            },
        )
    return WechatPayCertificate.objects.count()


def keys_after_refresh(serial: str) -> dict:
    """The key loader WeChat Pay's gateway calls for a serial it does not hold: refresh
    (unless another process did within the last minute), then every stored key."""
    if serial not in (stored := stored_platform_keys()) and cache.add(
        REFRESH_LOCK, serial, REFRESH_AT_MOST_EVERY_SECONDS
    ):
        refresh_wechatpay_certificates()
        stored = stored_platform_keys()
    return stored
