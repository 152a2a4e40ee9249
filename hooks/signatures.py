"""The carrier webhook's signature: HMAC-SHA256 with the carrier's secret over
f"{timestamp}.{raw body}", sent as `X-Carrier-Signature: sha256=<hex>` with `X-Carrier-Timestamp`
(Unix seconds). A pure function, so a test (or a carrier) signs exactly as the endpoint checks."""

import hashlib
import hmac

TIMESTAMP_HEADER = "X-Carrier-Timestamp"
SIGNATURE_HEADER = "X-Carrier-Signature"
MAX_AGE_SECONDS = 300


def signature_for(*, secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signature_matches(*, secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(signature_for(secret=secret, timestamp=timestamp, body=body), signature.strip())
