"""Ninety days of demo history for the manager's dashboard (seed_demo): a few hundred orders from
sixty customers, each taken through the real services as far as its story goes (held and released,
cancelled, back-ordered, dispatched on time or late, delivered, paid or left unpaid, returned,
rated), then moved back in time: every row a step wrote gets the moment that step happened in the
story. Seeded randomness, so every run tells the same story."""

import random
from datetime import datetime, time, timedelta

from django.utils import timezone

from feedback.models import Feedback, FeedbackRequest
from feedback.services import feedback_submit
from invoicing.models import Invoice, Payment
from lifecycle.cancellation import order_cancel
from lifecycle.checkout import order_checkout
from lifecycle.delivery import shipment_deliver
from lifecycle.receiving import stock_receive
from lifecycle.settlement import payment_record
from orders.models import Customer, DeliveryMethod, Order, OrderEvent, ReturnRequest, Shipment, WorkItem
from orders.services.fulfillment import (
    order_fulfillment_start,
    shipment_dispatch,
    shipment_pack,
    shipment_start_picking,
)
from orders.services.packing import shipment_scan
from orders.services.placement import AddressData, LineRequest
from orders.services.return_requests import return_request_authorise, return_request_create
from orders.services.verification.service import order_release
from orders.services.work_items import work_item_finish

DAYS = 90
ORDERS = 240
CUSTOMERS = 60
# Products the history sells, and the stock received for it first (none of them is back-ordered in
# the demo, so the receipts allocate to no waiting order).
POOL = {"BULB-LED": 1000, "LAMP-DESK": 400, "BOOK-JOINERY": 300, "OIL-HARDWAX": 300, "CHAIR-OAK": 300}
CANCEL_REASONS = ["Customer changed their mind", "Ordered twice by mistake", "Found it cheaper elsewhere"]
COMMENTS = {5: "Lovely, thank you!", 4: "Good, a bit slow.", 3: "Fine.", 2: "Took too long.", 1: "Arrived damaged."}


class Story:
    """One order's moments: each step's rows are moved to the moment it happened."""

    def __init__(self, order: Order, placed: datetime):
        self.order, self.placed = order, placed
        self.steps: list[tuple[int, datetime]] = []  # (last event pk of the step, its moment)
        self.step(placed)

    def step(self, moment: datetime) -> None:
        last = OrderEvent.objects.filter(order=self.order).order_by("-pk").values_list("pk", flat=True).first() or 0
        self.steps.append((last, moment))

    def retime(self) -> None:
        Order.objects.filter(pk=self.order.pk).update(placed_at=self.placed, created_at=self.placed)
        first = 0
        for last, moment in self.steps:
            OrderEvent.objects.filter(order=self.order, pk__gt=first, pk__lte=last).update(created_at=moment)
            first = last


def _customers() -> list[Customer]:
    return [
        Customer.objects.get_or_create(
            email=f"history{n:02d}@example.com", defaults={"full_name": f"Demo Customer {n:02d}"}
        )[0]
        for n in range(CUSTOMERS)
    ]


def history_seed(*, products: dict, warehouse, actor, orders: int = ORDERS, now: datetime | None = None) -> int:
    """Create `orders` orders of history (in the caller's transaction). Returns how many."""
    now = now or timezone.now()
    rng = random.Random(2026)
    for sku, quantity in POOL.items():
        stock_receive(product=products[sku], warehouse=warehouse, quantity=quantity, reference="demo history")
    standard = DeliveryMethod.objects.get(code="standard")
    customers = _customers()
    for n in range(orders):
        age = DAYS * (orders - n) / orders  # oldest first, the newest today
        day = timezone.localtime(now - timedelta(days=age)).date()
        placed = datetime.combine(day, time(8), tzinfo=timezone.get_current_timezone()) + timedelta(
            minutes=rng.randrange(0, 12 * 60)
        )
        if placed > now:
            placed = now - timedelta(minutes=rng.randrange(5, 120))
        _one(rng, n, customers[n % CUSTOMERS], products, standard, placed, now, actor)
    return orders


def _one(rng, n, customer, products, standard, placed, now, actor) -> None:
    address = AddressData(
        full_name=customer.full_name,
        line1=f"Keizersgracht {100 + n}",
        postal_code="ABC" if rng.random() < 0.07 else "1015 CJ",  # a few held by the address check
        city="Amsterdam",
        country="NL",
    )
    skus = rng.sample(sorted(POOL), k=rng.choice([1, 1, 2, 3]))
    order = order_checkout(
        customer=customer,
        channel=rng.choices(["web", "phone", "email", "in_person"], weights=[70, 15, 10, 5])[0],
        delivery_method=standard,
        payment_method="bank_transfer",
        billing_address=address,
        shipping_address=address,
        lines=[LineRequest(product_id=products[sku].pk, quantity=rng.choice([1, 1, 2, 3])) for sku in skus],
    )
    story = Story(order, placed)
    age_days = (now - placed) / timedelta(days=1)
    moment = placed
    if order.status == Order.Status.ON_HOLD:
        if rng.random() < 0.25 and age_days < 20:
            story.retime()  # still waiting for customer service
            return
        moment += timedelta(hours=rng.choice([1, 2, 4, 8, 20]))
        order = order_release(order=order, actor=actor, note="Address confirmed with the customer")
        story.step(moment)
    if rng.random() < 0.06:
        moment += timedelta(hours=rng.choice([1, 3, 12]))
        order_cancel(order=order, actor=actor, reason=rng.choice(CANCEL_REASONS))
        story.step(moment)
        story.retime()
        return
    if age_days < 1.5 or order.status != Order.Status.VERIFIED:
        story.retime()  # new this morning: still verified, waiting for the warehouse
        return
    moment += timedelta(hours=rng.choice([2, 3, 5]))
    order = order_fulfillment_start(order=order, actor=actor)
    story.step(moment)
    late = rng.random() < 0.12
    dispatched = placed + timedelta(days=3 if late else 1, hours=rng.randrange(-4, 4))
    if dispatched > now - timedelta(hours=2):
        story.retime()  # being picked
        _parcels_retime(order, placed, None, None)
        return
    for shipment in order.shipments.all():
        _pack_and_dispatch(shipment, actor)
    story.step(dispatched)
    delivered = dispatched + timedelta(days=rng.choice([1, 1, 2, 2, 3, 4]), hours=rng.randrange(0, 8))
    if delivered > now:
        story.retime()
        _parcels_retime(order, placed, dispatched, None)
        return
    for shipment in Shipment.objects.filter(order=order):
        shipment_deliver(shipment=shipment, actor=actor)
    story.step(delivered)
    invoice = Invoice.objects.get(order=order)
    paid = delivered + timedelta(days=rng.choice([1, 3, 7, 12, 20]))
    unpaid = rng.random() < 0.15 or paid > now
    if not unpaid:
        payment_record(
            invoice=invoice, amount=invoice.balance_due, method="bank_transfer", reference="demo", actor=actor
        )
        story.step(paid)
    returned = None
    if rng.random() < 0.06:  # asked back before it was moved in time (the return window counts from now)
        line = order.lines.order_by("pk").first()
        returned = return_request_create(
            order=order, units={line.pk: 1}, reason="damaged", comment="Scratched", actor=order.customer.user or actor
        )
        return_request_authorise(return_request=returned, actor=actor)
        ReturnRequest.objects.filter(pk=returned.pk).update(created_at=delivered + timedelta(days=2))
        story.step(delivered + timedelta(days=2))
    story.retime()
    _parcels_retime(order, placed, dispatched, delivered)
    Invoice.objects.filter(pk=invoice.pk).update(
        issued_at=delivered, due_date=(delivered + timedelta(days=14)).date(), created_at=delivered
    )
    Payment.objects.filter(order=order, status=Payment.Status.CAPTURED).update(captured_at=paid, created_at=paid)
    if not unpaid:
        _rated(rng, order, paid)


def _pack_and_dispatch(shipment, actor) -> None:
    shipment = shipment_start_picking(shipment=shipment, actor=actor)
    for work_item in WorkItem.objects.filter(shipment_line__shipment=shipment).order_by("pk"):
        work_item_finish(work_item=work_item, actor=actor)
    for line in shipment.lines.select_related("order_line__product"):
        code = line.order_line.product.barcode or line.order_line.sku
        shipment_scan(shipment=shipment, code=code, count=line.quantity, actor=actor)
    shipment = shipment_pack(shipment=shipment, actor=actor)
    shipment_dispatch(
        shipment=shipment, carrier="PostNL", service="Parcel", tracking_number=f"3SHIST{shipment.pk:07d}", actor=actor
    )


def _parcels_retime(order, placed, dispatched, delivered) -> None:
    """The parcels' moments in the story, promised for the day after placement (shop time)."""
    promised = timezone.localtime(placed).date() + timedelta(days=1)
    Shipment.objects.filter(order=order).update(
        created_at=placed,
        dispatch_by=promised,
        dispatched_at=dispatched,
        dispatched_late=None if dispatched is None else timezone.localtime(dispatched).date() > promised,
        delivered_at=delivered,
    )


def _rated(rng, order, paid) -> None:
    request = FeedbackRequest.objects.filter(order=order).first()
    if request is None:
        return
    FeedbackRequest.objects.filter(pk=request.pk).update(created_at=paid)
    if rng.random() < 0.4:
        return  # asked, not answered
    rating = rng.choices([5, 4, 3, 2, 1], weights=[45, 30, 12, 8, 5])[0]
    product_ids = {line.product_id for line in order.lines.all()}
    feedback = feedback_submit(
        feedback_request=request,
        overall_rating=rating,
        product_ratings=dict.fromkeys(product_ids, rating),
        comment=COMMENTS[rating],
    )
    answered = paid + timedelta(days=rng.choice([0, 1, 2]))
    Feedback.objects.filter(pk=feedback.pk).update(created_at=answered)
    FeedbackRequest.objects.filter(pk=request.pk).update(responded_at=answered)
