"""Every row lock orders takes, named; and the one lock order of the whole code base.

A service that locks rows of several kinds takes them in this order, and rows of one kind in
primary-key order, so that no two services can wait for each other (a deadlock):

0. first of all, a guest's customer record when a storefront checkout finds it in the order's
   transaction (`guest_customer_lock`, FOR NO KEY UPDATE: the rows that refer to the customer,
   which the order itself is, are not held up), before anything of the order it places.
1. a purchase order (inventory.locks.purchase_order_lock): receiving it fills back-orders, so it
   comes before the orders it locks next; likewise a quote (`quote_lock`): accepting it places its
   order;
2. order rows: one (`order_lock`), or several in primary-key order (`backorders_lock`);
3. rows that belong to an order, taken while holding it: its frozen address copies
   (`order_address_lock`), its shipments, invoices (invoicing.locks.invoice_lock) and payments
   (these three also through the transition core, orders_site.core.locks.transition_row_lock),
   its outbox rows (`notifications_lock`, `notification_lock`) and its voucher redemption (given
   back on cancelling, orders.services.vouchers), each kind in primary-key order; then its refunds
   (transition core) and last of this step its customer's store credit account
   (invoicing.locks.store_credit_account_lock: spent at checkout, given back on cancelling, paid
   into by a refund);
4. stock levels, in primary-key order (inventory.locks.stock_levels_lock and friends);
5. counter rows (orders_site.core.locks.sequence_lock, e.g. the invoice number; a voucher's use
   counter, taken by the guarded UPDATEs of orders.services.vouchers): last, because they
   serialise every caller until commit.

Rows that are locked alone, by services that hold no other lock while they have them: customers
(`customer_lock`; `guest_customer_lock` outside a checkout), the user row of a saved cart
(`cart_owner_lock`), address-book entries (`address_book_entry_lock`),
pick batches (`pick_batch_lock`, when a batch is marked done),
feedback requests and feedback (feedback.locks). A service that ever needs one of them together
with an order must take the order first and add its place to this list.

Every helper must run inside the caller's transaction; the locks are held until it commits.
Writing a row that points at an order (an OrderEvent, say) takes a weaker share lock on that
order in PostgreSQL, which waits for an order held by `order_lock`; that wait cannot close a
circle as long as everybody takes orders before the rows below them.
"""

from collections.abc import Iterable

from django.contrib.auth import get_user_model

from .models import Address, Customer, EmailNotification, Order, PickBatch, Quote, Shipment, waiting_for_stock


def order_lock(*, order_id: int) -> Order:
    """Lock one order row (step 2). Only the order row: related rows are read without a lock."""
    return Order.objects.select_for_update(of=("self",)).get(pk=order_id)


def backorders_lock(*, product_ids: Iterable[int]) -> list[Order]:
    """Lock the orders waiting for stock (back-ordered, or with a back-ordered rest to follow:
    orders.models.waiting_for_stock) that have a line for any of these products, in primary-key
    order (step 2). Returns them in that order, with their lines prefetched."""
    pks = set(
        Order.objects.filter(waiting_for_stock(), lines__product_id__in=set(product_ids)).values_list("pk", flat=True)
    )
    if not pks:
        return []
    return list(
        Order.objects.filter(waiting_for_stock(), pk__in=pks)
        .order_by("pk")
        .select_for_update(of=("self",))
        .prefetch_related("lines")
    )


def shipment_lock(*, shipment_id: int) -> Shipment:
    """Lock one shipment row (step 3: a service that also needs its order takes the order first, as
    dispatch, cancellation and splitting do), with its order (read, not locked). Scanning at the
    packing table and packing take it, so a scan and the "packed" button cannot interleave."""
    return Shipment.objects.select_for_update(of=("self",)).select_related("order").get(pk=shipment_id)


def order_address_lock(*, address_id: int) -> Address:
    """Lock the frozen copy of an address that an order was placed with (step 3: hold the order first)."""
    return Address.objects.select_for_update(of=("self",)).get(pk=address_id)


def notifications_lock(*, notification_ids: Iterable[int]) -> list[EmailNotification]:
    """Lock the chosen outbox rows that were not sent yet, in primary-key order (step 3), with their
    orders (read, not locked)."""
    return list(
        EmailNotification.objects.filter(pk__in=set(notification_ids))
        .exclude(status=EmailNotification.Status.SENT)
        .select_related("order")
        .order_by("pk")
        .select_for_update(of=("self",))
    )


def notification_lock(*, notification_id: int) -> EmailNotification | None:
    """Lock one outbox row while its e-mail is sent (step 3; the sender holds nothing else). None
    when the row is gone."""
    return EmailNotification.objects.select_for_update(of=("self",)).filter(pk=notification_id).first()


def customer_lock(*, customer_id: int) -> Customer:
    """Lock a customer row (alone) with its user (read, not locked)."""
    return Customer.objects.select_for_update(of=("self",)).select_related("user").get(pk=customer_id)


def cart_owner_lock(*, user_id: int) -> None:
    """Lock the user row of a signed-in customer's saved cart (alone) while the cart changes: a
    change reads a quantity and writes it back, so two tabs at once would otherwise lose an add.
    The user's row, not the cart's, because the first add creates the cart. FOR NO KEY UPDATE:
    rows that refer to the user (a new cart, an order's customer) are not held up."""
    list(get_user_model().objects.select_for_update(no_key=True).filter(pk=user_id).values_list("pk"))


def guest_customer_lock(*, email: str) -> Customer | None:
    """Lock the newest guest customer record (no user) with this e-mail address (alone, or step 0 of
    a checkout), or None."""
    return (
        Customer.objects.select_for_update(of=("self",), no_key=True)
        .filter(user__isnull=True, email__iexact=email)
        .order_by("-pk")
        .first()
    )


def address_book_entry_lock(*, customer_id: int, address_id: int) -> Address | None:
    """Lock one entry of the customer's address book (alone), or None when it is not theirs."""
    return Address.objects.select_for_update(of=("self",)).filter(customer_id=customer_id, pk=address_id).first()


def quote_lock(*, quote_id: int) -> Quote | None:
    """Lock one quote or draft (step 1: before the order placed from it), with its customer and
    delivery method (read, not locked). None when there is no such quote."""
    return (
        Quote.objects.select_for_update(of=("self",))
        .select_related("customer", "delivery_method")
        .filter(pk=quote_id)
        .first()
    )


def orders_of_shipments_lock(*, shipment_ids: Iterable[int]) -> list[Order]:
    """Lock the orders of these shipments (step 2, primary-key order), before their shipments."""
    of_shipments = Shipment.objects.filter(pk__in=list(shipment_ids)).values("order_id")
    return list(Order.objects.filter(pk__in=of_shipments).order_by("pk").select_for_update(of=("self",)))


def shipments_lock(*, shipment_ids: Iterable[int]) -> list[Shipment]:
    """Lock shipment rows (step 3, primary-key order), holding their orders already."""
    return list(
        Shipment.objects.filter(pk__in=list(shipment_ids))
        .select_related("warehouse")
        .order_by("pk")
        .select_for_update(of=("self",))
    )


def pick_batch_lock(*, batch_id: int) -> PickBatch:
    """Lock one pick batch row (locked alone: its service holds no other lock)."""
    return PickBatch.objects.select_for_update(of=("self",)).get(pk=batch_id)
