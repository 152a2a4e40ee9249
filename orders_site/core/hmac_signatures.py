"""HMAC-SHA256 over f"{timestamp}.{raw body}": how the carrier signs what it posts to us
(hooks.signatures) and how we sign what we post to integrations (webhooks.sending). One function,
so both sides of a test sign exactly as the code checks."""

import hashlib
import hmac


def hmac_sha256_hex(*, secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
