"""The carrier webhook's signature: HMAC-SHA256 with the carrier's secret over
f"{timestamp}.{raw body}", sent as `X-Carrier-Signature: sha256=<hex>` with `X-Carrier-Timestamp`
(Unix seconds). A pure function, so a test (or a carrier) signs exactly as the endpoint checks."""

import hmac

from orders_site.core.hmac_signatures import hmac_sha256_hex

TIMESTAMP_HEADER = "X-Carrier-Timestamp"
SIGNATURE_HEADER = "X-Carrier-Signature"
MAX_AGE_SECONDS = 300


def signature_for(*, secret: str, timestamp: str, body: bytes) -> str:
    return f"sha256={hmac_sha256_hex(secret=secret, timestamp=timestamp, body=body)}"


def signature_matches(*, secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(signature_for(secret=secret, timestamp=timestamp, body=body), signature.strip())
