"""The address a request came from, as the throttles count it (django-axes and the guest look-up).

Behind N trusted proxies (`TRUSTED_PROXY_COUNT`) every proxy appends to X-Forwarded-For the
address it received the request from, so the N-th entry from the right is the client as the
outermost of our proxies saw it. Everything further left is whatever the client sent itself and
is never read: a forged entry can neither hide a client in the proxy's bucket nor pose as
somebody else. With no trusted proxy the header is ignored and REMOTE_ADDR is the client.

This holds only if gunicorn can be reached through the proxies alone; a client talking to it
directly can write the whole header.
"""

import ipaddress

from django.conf import settings


def _address(entry: str) -> str | None:
    """The IP address in one X-Forwarded-For entry ("203.0.113.9", "[2001:db8::1]:443",
    "203.0.113.9:51000"), normalised, or None when the entry is not an address."""
    entry = entry.strip()
    if entry.startswith("[") and "]" in entry:
        entry = entry[1 : entry.index("]")]
    elif entry.count(":") == 1:  # IPv4 with a port; a bare IPv6 address has several colons
        entry = entry.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(entry))
    except ValueError:
        return None


def client_address(request) -> str | None:
    """The client's address: the TRUSTED_PROXY_COUNT-th X-Forwarded-For entry from the right, or
    REMOTE_ADDR without trusted proxies or when the header is shorter than the proxy chain (the
    request did not pass through all of them) or that entry is not an address."""
    remote_addr = request.META.get("REMOTE_ADDR") or None
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote_addr
    entries = [entry for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()]
    if len(entries) < proxies:
        return remote_addr
    return _address(entries[-proxies]) or remote_addr
