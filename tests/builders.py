"""One way to build what a test needs: the shop, the people, and orders in any state a user can
reach, through the real services (CONVENTIONS rule 14).

Every app's tests and the root tests take these from here, never from another app's tests package
(the tests-apart and tests-root contracts in .importlinter). The factory-boy factories of each app's own models stay
in that app's tests/factories.py; this module is the only other place that uses them.

The shop     catalogue_build, product_build, warehouse_build, stock_put, purchase_order_sent
People       customer_build, customer_signed_up, staff_member
Ordering     address_data, delivery_method_build
Orders       order_build: placed through lifecycle.checkout, then walked to `state`;
             order_advance: walk an existing order on; parcels_of, shipment_hand_to_carrier,
             shipment_packed (scan every unit, finish the work items, pack), shipment_scan_all,
             feedback_given
A bare row   order_row: an order put straight into a status, only for tests about that state alone

The states order_build and order_advance reach, in the order the shop reaches them:

    on_hold | backordered | verified     what placement's checks decide (the lines, addresses and
                                         risk rules must make it so; order_build checks they did)
    in_fulfillment                       fulfilment started: one pending parcel per warehouse
    packed                               every parcel picked and packed (the order: in_fulfillment)
    partially_shipped                    the first parcel dispatched (needs two or more parcels)
    shipped                              every parcel dispatched
    invoiced                             every parcel delivered: the last delivery issues the invoice
    completed                            the invoice paid in full (a card payment captured), which
                                         completes the order and asks for feedback
    cancelled                            cancelled after placement (stock released, card hold voided)

"placed", "delivered" and "paid" are no resting states: placement verifies at once, delivery of the
last parcel invoices, and full payment completes. Use order_row for a test about one of them alone.
"""

from collections.abc import Sequence
from decimal import Decimal
from itertools import count
from types import SimpleNamespace

from django.apps import apps
from django.contrib.auth.models import Group, User

from feedback.models import Feedback
from feedback.services import feedback_submit
from inventory.models import BinLocation, Product, PurchaseOrder, StockLevel, Supplier, Warehouse
from inventory.services import PurchaseLineRequest, purchase_order_create, purchase_order_send, stock_receive
from inventory.tests.factories import ProductFactory, SupplierFactory, TaxClassFactory, WarehouseFactory
from invoicing.models import Payment, ReminderLevel
from lifecycle.cancellation import order_cancel
from lifecycle.checkout import order_checkout
from lifecycle.delivery import shipment_deliver
from lifecycle.order_edits import EditSettlement, order_edit_settle
from lifecycle.settlement import payment_capture, payment_record
from orders.models import Address, Carrier, Customer, DeliveryMethod, Order, OrderLine, Shipment, WorkItem
from orders.services.customers import customer_sign_up
from orders.services.fulfillment import (
    order_fulfillment_start,
    shipment_dispatch,
    shipment_pack,
    shipment_start_picking,
)
from orders.services.packing import shipment_scan
from orders.services.placement import AddressData, LineRequest
from orders.services.work_items import SERVICE_KIND, work_item_finish
from orders.tests.factories import CustomerFactory, DeliveryMethodFactory
from orders_site.core.formatting import count_display
from orders_site.core.staff_groups import staff_groups_apply

CARD_APPROVED = "4242 4242 4242 4242"
PASSWORD = "a long passphrase 42"

# --- The shop ------------------------------------------------------------------------------------


def product_build(**fields) -> Product:
    """A physical product at 10.00 with 21 % tax and no stock (inventory's ProductFactory)."""
    return ProductFactory(**fields)


def warehouse_build(**fields) -> Warehouse:
    """A warehouse, found again by its `code` (inventory's WarehouseFactory)."""
    return WarehouseFactory(**fields)


def stock_put(*, product: Product, warehouse: Warehouse, quantity: int) -> StockLevel:
    """Receive stock through the service, so the ledger matches the level."""
    stock_receive(product=product, warehouse=warehouse, quantity=quantity, reference="test")
    return StockLevel.objects.get(product=product, warehouse=warehouse)


def catalogue_build() -> SimpleNamespace:
    """Two warehouses (Amsterdam first), a standard and a reduced tax class, three physical products
    with stock (10 chairs in AMS, 5 + 5 lamps, 20 books in RTM) and an assembly service."""
    standard = TaxClassFactory(name="Standard", rate=Decimal("0.2100"))
    reduced = TaxClassFactory(name="Reduced", rate=Decimal("0.0900"))
    main = warehouse_build(code="AMS", name="Amsterdam", priority=1)
    second = warehouse_build(code="RTM", name="Rotterdam", priority=2)
    chair = product_build(sku="CHAIR-1", name="Oak chair", price=Decimal("149.00"), tax_class=standard)
    lamp = product_build(sku="LAMP-1", name="Desk lamp", price=Decimal("39.95"), tax_class=standard)
    book = product_build(sku="BOOK-1", name="Woodworking book", price=Decimal("24.50"), tax_class=reduced)
    assembly = product_build(
        sku="ASSEMBLY", name="Assembly service", price=Decimal("30.00"), tax_class=standard, kind=Product.Kind.SERVICE
    )
    stock_put(product=chair, warehouse=main, quantity=10)
    stock_put(product=lamp, warehouse=main, quantity=5)
    stock_put(product=lamp, warehouse=second, quantity=5)
    stock_put(product=book, warehouse=second, quantity=20)
    return SimpleNamespace(
        standard=standard,
        reduced=reduced,
        main=main,
        second=second,
        chair=chair,
        lamp=lamp,
        book=book,
        assembly=assembly,
    )


def purchase_order_sent(
    *, warehouse: Warehouse, lines: Sequence[tuple[Product, int]], supplier=None, expected_on=None, actor=None
) -> PurchaseOrder:
    """A purchase order for these (product, quantity) pairs, created and sent through the services."""
    purchase_order = purchase_order_create(
        supplier=supplier or SupplierFactory(),
        warehouse=warehouse,
        lines=[PurchaseLineRequest(product=product, quantity=quantity) for product, quantity in lines],
        expected_on=expected_on,
        actor=actor,
    )
    return purchase_order_send(purchase_order=purchase_order, actor=actor)


# --- People --------------------------------------------------------------------------------------

WAREHOUSE, CUSTOMER_SERVICE, MANAGERS = "Warehouse", "Customer service", "Managers"


def supplier_build(**fields) -> Supplier:
    return SupplierFactory(**fields)


def customer_build(**fields) -> Customer:
    """A customer without a login, as staff enter one for a phone order (orders' CustomerFactory)."""
    return CustomerFactory(**fields)


def customer_signed_up(
    *, email: str = "anna@example.com", password: str = PASSWORD, full_name: str = "Anna de Vries"
) -> SimpleNamespace:
    """A shop account made by the sign-up service: `.user`, `.customer`, `.email`, `.password`."""
    user = customer_sign_up(email=email, password=password, full_name=full_name)
    return SimpleNamespace(user=user, customer=Customer.objects.get(user=user), email=email, password=password)


def staff_member(group: str) -> User:
    """The one staff member of a staff group ("Warehouse", "Customer service", "Managers"), with the
    group's permissions as the data migration sets them; the same user each time in a test."""
    if not Group.objects.filter(name=group).exists():  # a transactional test flushed the migration's rows
        staff_groups_apply(apps)
    user, created = User.objects.get_or_create(username=group.lower().replace(" ", "_"), defaults={"is_staff": True})
    if created:
        user.set_password("pw")
        user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=group))
    return user


# --- What an order is placed with ----------------------------------------------------------------


def address_data(**overrides) -> AddressData:
    """Anna de Vries, Prinsengracht 263, 1016 GV Amsterdam, NL, with `overrides`."""
    fields = {
        "full_name": "Anna de Vries",
        "line1": "Prinsengracht 263",
        "postal_code": "1016 GV",
        "city": "Amsterdam",
        "country": "NL",
    }
    fields.update(overrides)
    return AddressData(**fields)


def delivery_method_build(**fields) -> DeliveryMethod:
    """Standard delivery (4.95, 21 % tax, 1-3 days), found again by its `code` (orders' factory)."""
    return DeliveryMethodFactory(**fields)


# --- Orders --------------------------------------------------------------------------------------

PLACEMENT_STATES = (Order.Status.ON_HOLD, Order.Status.BACKORDERED, Order.Status.VERIFIED)
WALK = ("verified", "in_fulfillment", "packed", "partially_shipped", "shipped", "invoiced", "completed")
CANCELLED = "cancelled"


def order_build(
    *,
    lines: Sequence[tuple[Product, int] | tuple[Product, int, str]],
    state: str | None = "verified",
    customer: Customer | None = None,
    payment_method: str = "bank_transfer",
    actor=None,
    **placement,
) -> Order:
    """Place an order through the real checkout (lifecycle.checkout.order_checkout) and walk it to
    `state` (see the module's docstring) with the real services. Returns the order, re-read.

    `lines` are (product, quantity) pairs, or (product, quantity, customisation notes); `customer`
    defaults to a new one each time, so no risk rule (velocity, duplicates) holds the order.
    `placement` goes to the checkout: channel,
    delivery_method (default: standard delivery), billing_address and shipping_address (default:
    address_data(); shipping_address=None for none), card_token (default: an approved card when
    payment_method="card"), discount_code, requested_delivery_date, idempotency_key, placed_by...

    `state=None` returns the order as placement's checks left it (for tests about placement).
    Otherwise the order must reach `state` or this fails: an AssertionError when the checks decided
    otherwise, what the service raised when a step is refused. `actor` presses every button when
    given; by default the staff group that does a step in the shop does it (staff_member): the
    warehouse fulfils and delivers, customer service records payments and cancels.
    """
    if state is not None and state not in (*PLACEMENT_STATES, *WALK, CANCELLED):
        raise ValueError(f"order_build cannot reach “{state}” through the services; see tests/builders.py.")
    if payment_method == Order.PaymentMethod.CARD:
        placement.setdefault("card_token", CARD_APPROVED)
    order = order_checkout(
        customer=customer or customer_build(),
        lines=[
            LineRequest(product_id=line[0].pk, quantity=line[1], customisation_notes=line[2] if len(line) > 2 else "")
            for line in lines
        ],
        channel=placement.pop("channel", Order.Channel.WEB),
        delivery_method=placement.pop("delivery_method", None) or delivery_method_build(),
        payment_method=payment_method,
        billing_address=placement.pop("billing_address", address_data()),
        shipping_address=placement.pop("shipping_address", address_data()),
        **placement,
    )
    if state is None:
        return order
    if state in (Order.Status.ON_HOLD, Order.Status.BACKORDERED):
        _assert_status(order, state)
        return order
    if state == CANCELLED:
        return order_advance(order=order, state=CANCELLED, actor=actor)
    _assert_status(order, Order.Status.VERIFIED)
    return order_advance(order=order, state=state, actor=actor)


def order_advance(*, order: Order, state: str, actor=None) -> Order:
    """Walk a placed order on from where it is to a later `state` (see the module's docstring), or
    cancel it (state="cancelled"), through the services. `actor` as in order_build. Returns the
    order, re-read. Raises ValueError for a state behind the order or not reachable from it (a held
    order must be released first), and what a service raises when it refuses a step."""
    order = Order.objects.get(pk=order.pk)
    if state == CANCELLED:
        order_cancel(order=order, actor=actor or staff_member(CUSTOMER_SERVICE))
        order.refresh_from_db()
        _assert_status(order, Order.Status.CANCELLED)
        return order
    if state not in WALK:
        raise ValueError(f"order_advance walks to one of {', '.join(WALK)} or {CANCELLED}, not “{state}”.")
    here, target = _position(order), WALK.index(state)
    if target < here:
        raise ValueError(f"Order {order.number} is past “{state}” already (it is {order.status}).")
    for step in WALK[here + 1 : target + 1]:
        if step == "partially_shipped" and state != step:
            continue  # on the way to "shipped" every parcel goes at once
        _STEPS[step](order, actor)
        order.refresh_from_db()
    _assert_status(order, Order.Status.IN_FULFILLMENT if state == "packed" else state)
    return order


def parcels_of(order: Order) -> list[Shipment]:
    """The order's parcels, in the order fulfilment made them (one per warehouse, Amsterdam first)."""
    return list(order.shipments.order_by("pk"))


def carrier_build(**fields) -> Carrier:
    """A carrier on record (PostNL, code "postnl", webhook secret "s3cret" unless given)."""
    fields.setdefault("code", "postnl")
    defaults = {
        "name": "PostNL",
        "tracking_url_template": "https://track.example/postnl/{tracking_number}",
        "webhook_secret": "s3cret",
    }
    defaults.update({k: v for k, v in fields.items() if k != "code"})
    return Carrier.objects.get_or_create(code=fields["code"], defaults=defaults)[0]


def shipment_hand_to_carrier(*, shipment: Shipment, actor=None, carrier: Carrier | None = None) -> Shipment:
    """Dispatch a packed parcel with PostNL, tracking number 3S<pk, six digits> and its tracking URL;
    with `carrier`, with that carrier record (the URL then comes from its template)."""
    tracking_number = f"3S{shipment.pk:06d}"
    if carrier is not None:
        return shipment_dispatch(
            shipment=shipment,
            carrier=carrier,
            service="Parcel",
            tracking_number=tracking_number,
            actor=actor or staff_member(WAREHOUSE),
        )
    return shipment_dispatch(
        shipment=shipment,
        carrier="PostNL",
        service="Parcel",
        tracking_number=tracking_number,
        tracking_url=f"https://track.example/{tracking_number}",
        actor=actor or staff_member(WAREHOUSE),
    )


def feedback_given(order: Order, *, rating: int, comment: str = "") -> Feedback:
    """The customer answers the feedback request of a completed order: `rating` overall and for
    every product on it (a rating of 2 or less opens a follow-up)."""
    order = Order.objects.get(pk=order.pk)
    product_ids = {line.product_id for line in order.lines.all() if line.product_id}
    return feedback_submit(
        feedback_request=order.feedback_request,
        overall_rating=rating,
        product_ratings={product_id: rating for product_id in product_ids},
        comment=comment,
    )


def _assert_status(order: Order, status: str) -> None:
    if order.status != status:
        reasons = "; ".join(order.events.exclude(note="").values_list("note", flat=True))
        raise AssertionError(f"Order {order.number} is {order.status}, not {status} ({reasons or 'no notes'}).")


def _parcels(order: Order, *statuses: str) -> list[Shipment]:
    return list(order.shipments.filter(status__in=statuses).order_by("pk"))


def _position(order: Order) -> int:
    if order.status == Order.Status.IN_FULFILLMENT:
        open_parcels = order.shipments.exclude(status=Shipment.Status.CANCELLED)
        all_packed = open_parcels.exists() and not open_parcels.exclude(status=Shipment.Status.PACKED).exists()
        return WALK.index("packed" if all_packed else "in_fulfillment")
    if order.status not in WALK:
        raise ValueError(
            f"Order {order.number} is {order.status}: only a verified order walks on "
            "(release a held one with orders.services.verification.order_release first)."
        )
    return WALK.index(order.status)


def _start_fulfilment(order: Order, actor) -> None:
    order_fulfillment_start(order=order, actor=actor or staff_member(WAREHOUSE))


def shipment_scan_all(*, shipment: Shipment, actor=None) -> Shipment:
    """At the packing table: finish the parcel's open work items and scan every unit still missing
    (its barcode, the whole count at once), as the warehouse does before pressing "Packed". The
    parcel must be picking. Returns it, re-read."""
    for work_item in WorkItem.objects.filter(shipment_line__shipment=shipment).exclude(status=WorkItem.Status.DONE):
        work_item_finish(work_item=work_item, actor=actor)
    for line in shipment.lines.select_related("order_line__product").order_by("pk"):
        missing = line.quantity - line.packed_quantity
        if line.order_line.kind != SERVICE_KIND and missing:
            product = line.order_line.product
            code = product.barcode if product is not None and product.barcode else line.order_line.sku
            shipment_scan(shipment=shipment, code=code, count=missing, actor=actor)
    return Shipment.objects.get(pk=shipment.pk)


def shipment_packed(*, shipment: Shipment, actor=None) -> Shipment:
    """Pick (when pending), confirm every unit (shipment_scan_all) and pack one parcel."""
    shipment = Shipment.objects.get(pk=shipment.pk)  # as it is now, not as the caller last saw it
    if shipment.status == Shipment.Status.PENDING:
        shipment = shipment_start_picking(shipment=shipment, actor=actor)
    shipment_scan_all(shipment=shipment, actor=actor)
    return shipment_pack(shipment=shipment, actor=actor)


def _pack(order: Order, actor) -> None:
    actor = actor or staff_member(WAREHOUSE)
    for parcel in _parcels(order, Shipment.Status.PENDING, Shipment.Status.PICKING):
        shipment_packed(shipment=parcel, actor=actor)


def _ship_first(order: Order, actor) -> None:
    packed = _parcels(order, Shipment.Status.PACKED)
    if len(packed) < 2:
        raise ValueError(
            f"Order {order.number} has {count_display(len(packed), 'parcel')} to dispatch: dispatching the last one "
            "ships the order. Only an order split over warehouses is partially shipped."
        )
    shipment_hand_to_carrier(shipment=packed[0], actor=actor)


def _ship_all(order: Order, actor) -> None:
    for parcel in _parcels(order, Shipment.Status.PACKED):
        shipment_hand_to_carrier(shipment=parcel, actor=actor)


def _deliver(order: Order, actor) -> None:
    for parcel in _parcels(order, Shipment.Status.SHIPPED, Shipment.Status.IN_TRANSIT):
        shipment_deliver(shipment=parcel, actor=actor or staff_member(WAREHOUSE))


def _pay(order: Order, actor) -> None:
    """A card was authorised at checkout: capture it, as the task queued by the invoice does after
    commit (a test's transaction never commits). Anything else: the money comes in and is recorded."""
    invoice = order.invoices.get()
    if order.payment_method == Order.PaymentMethod.CARD:
        for payment in Payment.objects.filter(order=order, status=Payment.Status.AUTHORIZED):
            payment_capture(payment_id=payment.pk)
        return
    payment_record(
        invoice=invoice,
        amount=invoice.balance_due,
        method=order.payment_method,
        reference=order.payment_reference,
        actor=actor or staff_member(CUSTOMER_SERVICE),
    )


_STEPS = {
    "in_fulfillment": _start_fulfilment,
    "packed": _pack,
    "partially_shipped": _ship_first,
    "shipped": _ship_all,
    "invoiced": _deliver,
    "completed": _pay,
}


# --- A bare row, for tests about a state alone ----------------------------------------------------

_row_numbers = count(1)


def order_row(
    *,
    status: str = Order.Status.DRAFT,
    customer: Customer | None = None,
    lines: Sequence[tuple[Product, int]] = (),
    number: str | None = None,
) -> Order:
    """A bare order row put straight into `status`, with these (product, quantity) lines and no
    event, allocation, invoice or e-mail: only for tests about that state alone (the transition
    matrix; allocation tests, where placing would already have allocated the stock)."""
    customer = customer or customer_build()
    delivery_method = delivery_method_build()
    order = Order.objects.create(
        number=number or f"T{next(_row_numbers):06d}",
        customer=customer,
        email=customer.email,
        delivery_method=delivery_method,
        delivery_method_name=delivery_method.name,
        billing_address=Address.objects.create(**vars(address_data())),
        payment_method=Order.PaymentMethod.BANK_TRANSFER,
    )
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                product=product,
                sku=product.sku,
                name=product.name,
                kind=product.kind,
                quantity=quantity,
                unit_price=product.price,
                tax_rate=Decimal("0.21"),
                net_amount=product.price * quantity,
                tax_amount=0,
                line_total=product.price * quantity,
            )
            for product, quantity in lines
        ]
    )
    Order.objects.filter(pk=order.pk).update(status=status)
    order.refresh_from_db()
    return order


def bin_put(*, product, warehouse, code: str, walk_order: int) -> BinLocation:
    """Shelve a product's stock in a bin on the picker's walk (the bin is all this sets up)."""
    bin_location, _ = BinLocation.objects.get_or_create(
        warehouse=warehouse, code=code, defaults={"walk_order": walk_order}
    )
    StockLevel.objects.filter(product=product, warehouse=warehouse).update(bin_location=bin_location)
    return bin_location


def order_edited(order: Order, *, lines: Sequence[tuple[Product, int]], actor, reason: str = "Customer phoned"):
    """Customer service changes the order's lines as the edit page does (addresses, delivery and code
    kept), with the balance settled: returns the EditSettlement."""
    order = Order.objects.get(pk=order.pk)
    settled: EditSettlement = order_edit_settle(
        order=order,
        expected_version=order.version,
        lines=[LineRequest(product_id=product.pk, quantity=quantity) for product, quantity in lines],
        delivery_method=order.delivery_method,
        shipping_address=AddressData.from_address(order.shipping_address),
        billing_address=AddressData.from_address(order.billing_address),
        voucher_code=order.voucher_redemption.voucher.code if hasattr(order, "voucher_redemption") else "",
        reason=reason,
        actor=actor,
    )
    return settled


def reminder_levels_build() -> list:
    """The three payment reminder levels the shop starts with (invoicing migration 0011): friendly
    at due + 3 days, second at + 14, final at + 30 with a 5.00 fee. Made here too because a test
    on a flushed database (transactional) has lost what migrations wrote."""
    levels = [
        ("Friendly reminder", 3, Decimal("0.00")),
        ("Second reminder", 14, Decimal("0.00")),
        ("Final reminder", 30, Decimal("5.00")),
    ]
    return [
        ReminderLevel.objects.get_or_create(
            days_after_due=days, defaults={"name": name, "fee": fee, "message": f"{name}: please pay the invoice."}
        )[0]
        for name, days, fee in levels
    ]
