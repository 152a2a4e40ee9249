"""Sign-in throttling: django-axes' database handler with a second, higher limit per client address.

axes counts failures per (user name, address) and compares them with AXES_FAILURE_LIMIT. That
stops guessing one account's password, not password spraying: a few tries on each of many user
names from one address. axes can also count per address (AXES_LOCKOUT_PARAMETERS accepts
["username", "ip_address"] and "ip_address" side by side) but has one threshold for every
combination, which would lock a whole office behind one NAT after 5 typos; and with
AXES_RESET_ON_SUCCESS it would wipe an address's count whenever anyone there signs in, so an
attacker could reset it with an account of their own. So the pair stays axes' only lockout
parameter, and this handler adds the address's failures (all user names, within the same
cool-off) against AXES_ADDRESS_FAILURE_LIMIT. A successful sign-in clears only that pair's rows.

Both the shop's sign-in and the admin's go through `authenticate()` and so through axes.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


class PairAndAddressHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials: dict | None = None) -> int:
        """Failures of this (user name, address) pair; at least the pair limit once the address
        as a whole is over its own limit, so that axes locks it out on every user name.
        Sets request.axes_address_locked_out for the lock-out page."""
        pair_failures = super().get_failures(request, credentials)
        if address_failures(request) >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            request.axes_address_locked_out = True
            return max(pair_failures, get_failure_limit(request, credentials))
        return pair_failures


def address_failures(request) -> int:
    """Failed sign-ins from the request's client address, over every user name, still within the cool-off."""
    attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
