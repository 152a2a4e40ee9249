"""Using a voucher and giving a use back: the limits, enforced by the database under concurrency.

The total limit is a guarded UPDATE of the voucher's `times_used` counter: it adds one only while
the counter is below `usage_limit`, and PostgreSQL re-reads the row after waiting for another
transaction's update of it, so of two (or twenty) last uses at once exactly one gets the row; the
voucher_uses_within_limit constraint stands behind it. The per-customer limit is checked on the
count read with the voucher (orders.selectors.voucher_offer_find) and enforced by the unique
(voucher, customer, customer_use) constraint: two uses by one customer taken at once read the same
count, take the same number, and the second INSERT fails on the first's row.
"""

from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from orders_site.core.exceptions import ApplicationError

from ..models import Customer, Order, Voucher, VoucherRedemption
from ..selectors import VOUCHER_USED_UP

CUSTOMER_USED = "You have already used this discount code as often as it allows."


class VoucherRefused(ApplicationError):
    """The voucher's last use went to another order, or the customer used up their share of it."""


def _redeem_postgresql(*, voucher: Voucher, redemption: VoucherRedemption) -> bool:
    """Both writes in one statement: the INSERT reads the UPDATE's row, so it writes nothing when
    the counter refused (returns False)."""
    quote = connection.ops.quote_name
    voucher_table, table = quote(Voucher._meta.db_table), quote(VoucherRedemption._meta.db_table)
    used, limit = quote("times_used"), quote("usage_limit")
    fields = [f for f in VoucherRedemption._meta.concrete_fields if not f.primary_key and f.name != "voucher"]
    columns = ", ".join(quote(f.column) for f in fields)
    values = [f.get_db_prep_save(f.pre_save(redemption, add=True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH counted AS ("
            f"UPDATE {voucher_table} SET {used} = {used} + 1 "
            f'WHERE "id" = %s AND ({limit} IS NULL OR {used} < {limit}) RETURNING "id") '
            f'INSERT INTO {table} ("voucher_id", {columns}) '
            f'SELECT counted."id", {", ".join(["%s"] * len(fields))} FROM counted RETURNING "id"',
            [voucher.pk, *values],
        )
        row = cursor.fetchone()
    if row is None:
        return False
    redemption.pk = row[0]
    redemption._state.adding = False
    redemption._state.db = connection.alias
    return True


def _redeem_portable(*, voucher: Voucher, redemption: VoucherRedemption) -> bool:
    counted = Voucher.objects.filter(
        Q(usage_limit__isnull=True) | Q(times_used__lt=F("usage_limit")), pk=voucher.pk
    ).update(times_used=F("times_used") + 1)
    if not counted:
        return False
    redemption.save(force_insert=True)
    return True


def voucher_redeem(
    *, voucher: Voucher, order: Order, customer: Customer, amount: Decimal, customer_last_use: int
) -> VoucherRedemption:
    """Count one use of the voucher for this order (placement calls it last, in the order's
    transaction): one more on `times_used` and a VoucherRedemption row. `customer_last_use` is
    the highest use number of the customer's counting uses, read with the voucher before placing.

    One statement on PostgreSQL (a data-modifying WITH), two elsewhere (SQLite serialises writers).
    Locks: the voucher row, until commit. It serialises every order using this voucher, so it is
    taken last (the counter rows at the end of the lock order, orders/locks.py).
    Raises VoucherRefused when the last use went to another order or the customer has no use left;
    the caller's transaction must then roll back (on PostgreSQL the failed INSERT has ended it).
    """
    redemption = VoucherRedemption(
        voucher=voucher, order=order, customer=customer, amount=amount, customer_use=customer_last_use + 1
    )
    redeem = _redeem_postgresql if connection.vendor == "postgresql" else _redeem_portable
    try:
        counted = redeem(voucher=voucher, redemption=redemption)
    except IntegrityError as error:
        # The constraints behind the guards: another order of this customer took the same use
        # number first (two placed at once), or, should the counter's guard ever let one through,
        # the limit itself.
        message = VOUCHER_USED_UP if "voucher_uses_within_limit" in str(error) else CUSTOMER_USED
        raise VoucherRefused(message, extra={"field": "discount_code"}) from error
    if not counted:
        raise VoucherRefused(VOUCHER_USED_UP, extra={"field": "discount_code"})
    voucher.times_used += 1
    return redemption


@transaction.atomic
def voucher_release_for_order(*, order: Order) -> bool:
    """Give the order's voucher use back (a cancelled order): the redemption is marked given back
    and the voucher's count goes down. Idempotent: a second call finds nothing to give back and
    returns False. Call it while holding the order (lifecycle.cancellation does).

    Locks: the redemption row, then the voucher row (last, as a counter: orders/locks.py).
    """
    if order.voucher_id is None:
        return False
    released = VoucherRedemption.objects.filter(order=order, released_at__isnull=True).update(
        released_at=timezone.now(), customer_use=None
    )
    if not released:
        return False
    Voucher.objects.filter(pk=order.voucher_id, times_used__gt=0).update(times_used=F("times_used") - 1)
    return True
