"""A saved card's token at rest: encrypted (Fernet: AES-128-CBC and an HMAC) with a key
derived from the portal's secret key, and found again by a keyed digest. The token is a
credential (it charges the card): it is never logged, shown or kept readable."""
import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


def _key(purpose):
    """32 bytes of the secret key's, for one purpose only (HKDF-SHA256)."""
    secret = current_app.config["SECRET_KEY"]
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"portal-card-token",
                info=purpose).derive(secret)


def encrypt(token):
    return Fernet(base64.urlsafe_b64encode(_key(b"encrypt"))).encrypt(
        token.encode("utf-8")).decode("ascii")


def decrypt(stored):
    """The token, or None when it was encrypted under another secret key (the card must be
    saved again)."""
    try:
        return Fernet(base64.urlsafe_b64encode(_key(b"encrypt"))).decrypt(
            stored.encode("ascii")).decode("utf-8")
    except InvalidToken:
        return None


def digest(token):
    """A keyed digest of the token: finds it again without keeping it readable."""
    return hmac.new(_key(b"digest"), token.encode("utf-8"), hashlib.sha256).hexdigest()
