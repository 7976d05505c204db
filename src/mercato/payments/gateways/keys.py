"""RSA keys and certificates with the `cryptography` package, and SHA256withRSA."""

import base64
import binascii
import functools

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


@functools.lru_cache(maxsize=32)
def load_private_key(text: str, password: bytes | None = None) -> rsa.RSAPrivateKey:
    """A PEM private key, or the bare base64 (PKCS#1 or PKCS#8) that Alipay's tool prints.

    Cached by its text: loading checks the key, which takes milliseconds, and every
    notice, query and refund builds its gateway from the settings again."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=password)
    else:
        key = serialization.load_der_private_key(_b64(text), password=password)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


@functools.lru_cache(maxsize=64)
def load_public_key(text: str) -> rsa.RSAPublicKey:
    """A PEM public key or certificate, or a bare base64 public key (Alipay's console)."""
    text = text.strip()
    if "BEGIN CERTIFICATE" in text:
        key = x509.load_pem_x509_certificate(text.encode()).public_key()
    elif text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
    else:
        key = serialization.load_der_public_key(_b64(text))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def _b64(text: str) -> bytes:
    return base64.b64decode("".join(text.split()), validate=True)


def sign_sha256(key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def verify_sha256(key: rsa.RSAPublicKey, message: bytes, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True
