"""Signed tokens (the session cookie, the CSRF token) signed as itsdangerous signs them, by
signers made once.

itsdangerous makes a new signer for every token it signs or reads, and that signer
derives its HMAC key from the secret again for every signature. A signed-in page reads
its session cookie and signs a CSRF token: making the signers and their keys was a sixth
of opening the cookie (39,000 of 236,000 instructions), and as much again of signing the
token. A signer holds nothing of a token, only its keys, salt and algorithms, and a key
derived from a secret is the same every time, so one signer for each salt serves every
request."""
from itsdangerous import TimestampSigner, URLSafeTimedSerializer


class KeptKeysSigner(TimestampSigner):
    """itsdangerous's timestamp signer, deriving each secret's key once."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._derived = {}  # {secret key (None: the current one): its derived key}

    def derive_key(self, secret_key=None):
        derived = self._derived.get(secret_key)
        if derived is None:
            derived = self._derived[secret_key] = super().derive_key(secret_key)
        return derived


class KeptSignersSerializer(URLSafeTimedSerializer):
    """itsdangerous's URL-safe timed serializer (Flask's session cookie's, Flask-WTF's CSRF
    token's) with its signer made once for each salt."""

    default_signer = KeptKeysSigner

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._signers = {}  # {salt asked for: its signer}

    def make_signer(self, salt=None):
        signer = self._signers.get(salt)
        if signer is None:
            signer = self._signers[salt] = super().make_signer(salt)
        return signer
