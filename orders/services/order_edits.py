"""Changing an order after it was placed (issue 12 items 5-8): lines, quantities, delivery,
addresses and discount code, each save a recorded version (OrderVersion) and one timeline event.

The price rule (stated on the edit page, PRICE_RULE): a product already on the order keeps the
unit price and tax rate agreed at placement, also when its quantity changes; a product added by
the edit is priced at today's catalogue price and tax rate. The discount is re-applied to the new
lines with the terms the order kept (same code) or the new code's terms.

Money is not touched here (orders cannot import invoicing): lifecycle.order_edits settles the
difference with the card authorisation or records what is owed back.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from inventory.locks import stock_levels_lock
from inventory.models import Product
from inventory.services import stock_allocate_order, stock_release_order
from orders_site.core.exceptions import ApplicationError, PermissionRefused, TransitionRefused
from orders_site.core.formatting import money_display
from orders_site.core.models import actor_label
from orders_site.core.money import ZERO

from ..events import event_order_edited
from ..locks import order_lock
from ..models import Address, DeliveryMethod, Order, OrderLine, OrderVersion, Shipment, WorkItem
from ..pricing import Discount, PriceInput, price_order
from ..selectors import VOUCHER_NOT_VALID, voucher_offer_find, voucher_pricing_problem
from .partial_fulfilment import parcels_make
from .placement import MAX_LINE_QUANTITY, AddressData, LineRequest, delivery_choice_problems
from .verification import order_recheck_after_edit
from .vouchers import VoucherRefused, voucher_redeem, voucher_release_for_order

PRICE_RULE = (
    "Products already on the order keep the price agreed when it was placed, also when you change "
    "their quantity. Products you add are charged at today's price."
)
EDITABLE = (
    Order.Status.PLACED,
    Order.Status.ON_HOLD,
    Order.Status.BACKORDERED,
    Order.Status.VERIFIED,
    Order.Status.IN_FULFILLMENT,
)
EDIT_PERMISSION = "orders.change_order"
CHANGE_LABELS = {
    "lines": "the lines",
    "delivery": "the delivery method",
    "addresses": "the addresses",
    "voucher": "the discount code",
}


class EditRefused(ApplicationError):
    """The edit cannot be saved. `extra["field"]` names the form field when there is one."""


class EditConflict(EditRefused):
    """Someone saved another version since the form was shown (the version number is the guard)."""


@dataclass(frozen=True)
class EditResult:
    order: Order
    version: OrderVersion
    total_before: Decimal
    total_after: Decimal

    @property
    def difference(self) -> Decimal:
        """Positive: the customer owes more; negative: the order costs less than before."""
        return self.total_after - self.total_before


def _address_data(address: Address | None) -> dict | None:
    return None if address is None else {f: getattr(address, f) for f in AddressData.__dataclass_fields__}


def order_edit_snapshot(order: Order, lines=None) -> dict:
    """The order as a version records it (JSON): lines, delivery, addresses, voucher, totals."""
    lines = list(order.lines.order_by("pk")) if lines is None else lines
    return {
        "lines": [
            {
                "product_id": line.product_id,
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
                "line_total": str(line.line_total),
            }
            for line in lines
        ],
        "delivery_method": order.delivery_method.name,
        "delivery_method_id": order.delivery_method_id,
        "shipping_fee": str(order.shipping_total),
        "shipping_address": _address_data(order.shipping_address),
        "billing_address": _address_data(order.billing_address),
        "voucher": order.discount_code,
        "totals": {
            "subtotal": str(order.subtotal),
            "discount": str(order.discount_total),
            "shipping": str(order.shipping_total),
            "tax": str(order.tax_total),
            "total": str(order.total),
        },
    }


def order_version_diff(*, before: dict, after: dict) -> dict:
    """Lines added, removed and changed (by SKU), and the totals before -> after."""
    old = {line["sku"]: line for line in before["lines"]}
    new = {line["sku"]: line for line in after["lines"]}
    return {
        "added": [new[sku] for sku in new if sku not in old],
        "removed": [old[sku] for sku in old if sku not in new],
        "changed": [
            {"sku": sku, "name": new[sku]["name"], "before": old[sku]["quantity"], "after": new[sku]["quantity"]}
            for sku in new
            if sku in old and old[sku]["quantity"] != new[sku]["quantity"]
        ],
        "totals": {key: [before["totals"][key], after["totals"][key]] for key in after["totals"]},
    }


def _stale_message(order: Order, expected_version: int) -> str:
    newer = list(order.versions.filter(number__gt=expected_version).order_by("number"))
    said = "; ".join(
        f"{v.actor_label or 'someone'} changed "
        f"{' and '.join(CHANGE_LABELS.get(c, c) for c in v.changed)} at "
        f"{timezone.localtime(v.created_at):%H:%M}"
        for v in newer
    )
    return (
        f"Order {order.number} was changed while you were editing it ({said or 'a newer version exists'}). "
        "Open the edit page again to see the order as it is now."
    )


def _refuse_shipped(order: Order, lines_change: bool) -> None:
    shipments = list(order.shipments.exclude(status=Shipment.Status.CANCELLED))
    if any(
        s.status not in (Shipment.Status.PENDING, Shipment.Status.PICKING, Shipment.Status.PACKED) for s in shipments
    ):
        raise TransitionRefused(f"Order {order.number} has a dispatched parcel; it can no longer be edited.")
    if not lines_change:
        return
    # Parcels still waiting to be picked are made again for the new lines; once a picker has a
    # parcel's goods in hand (or someone started its customisation), its lines stay as they are.
    started = [s for s in shipments if s.status != Shipment.Status.PENDING]
    if started:
        raise EditRefused(
            f"The warehouse is working on parcel {started[0].number} of order {order.number} "
            f"(“{started[0].get_status_display()}”), so its lines cannot be changed here. Change only the "
            "delivery or addresses, or ask the warehouse to split off what should change first.",
            extra={"field": "lines"},
        )
    work = WorkItem.objects.filter(order=order).exclude(status=WorkItem.Status.TO_DO).first()
    if work is not None:
        raise EditRefused(
            f"Work on “{work.kind}” for order {order.number} has started, so its lines cannot be changed here.",
            extra={"field": "lines"},
        )


@transaction.atomic
def order_edit(
    *,
    order: Order,
    expected_version: int,
    lines: list[LineRequest],
    delivery_method: DeliveryMethod,
    shipping_address: AddressData | None,
    billing_address: AddressData,
    voucher_code: str,
    reason: str,
    actor,
) -> EditResult:
    """Save an edit of a placed order as its next version.

    Re-prices by PRICE_RULE, gives back all stock the order holds and allocates it again in this
    transaction (ledger release + allocation rows), re-runs the automatic checks (the order may go
    on hold or back-ordered; a transition writes its own event), writes one OrderVersion and one
    "order.edited" event with the diff.

    Locks: orders.locks.order_lock, then its address copies (updated in place), then the stock
    levels of the old and new products (inventory.locks.stock_levels_lock, pk order), then the
    voucher counter (voucher_redeem / voucher_release_for_order). Queues what verification queues.
    Raises PermissionRefused (not customer service or manager), EditConflict (stale
    expected_version, naming who changed what, when), TransitionRefused (status not editable, a
    parcel dispatched), EditRefused (no reason, nothing changed, bad lines, delivery or code; lines
    of an order whose parcel is being picked or packed or whose work items started), all before
    writing anything; and EditRefused when an order in fulfilment would be short of stock, which
    rolls the whole edit back.
    """
    if actor is not None and not (actor.is_staff and actor.has_perm(EDIT_PERMISSION)):
        raise PermissionRefused("You are not allowed to edit orders.")
    order = order_lock(order_id=order.pk)
    if order.version != expected_version:
        raise EditConflict(_stale_message(order, expected_version), extra={"field": "version"})
    if order.status not in EDITABLE:
        raise TransitionRefused(
            f"Order {order.number} is “{order.get_status_display()}”; only orders not yet dispatched can be edited."
        )
    # Invoiced at order (invoicing): an issued invoice is never changed, so neither is what it bills.
    invoice_number = order.invoices.exclude(number=None).values_list("number", flat=True).first()
    if invoice_number:
        raise TransitionRefused(
            f"Order {order.number} is invoiced ({invoice_number}), so it can no longer be edited: correct the "
            "invoice with a credit note, or cancel the order."
        )
    reason = (reason or "").strip()
    if not reason:
        raise EditRefused("Say why the order is changed.", extra={"field": "reason"})
    if not lines:
        raise EditRefused("The order needs at least one line.", extra={"field": "lines"})
    wanted: dict[int, int] = {}
    for line in lines:
        if not 1 <= line.quantity <= MAX_LINE_QUANTITY:
            raise EditRefused(f"Quantities must be between 1 and {MAX_LINE_QUANTITY}.", extra={"field": "lines"})
        wanted[line.product_id] = wanted.get(line.product_id, 0) + line.quantity

    current = list(order.lines.select_related("product__tax_class").order_by("pk"))
    by_product = {line.product_id: line for line in current}
    products = Product.objects.select_related("tax_class").in_bulk(set(wanted) - set(by_product))
    for product_id in set(wanted) - set(by_product):
        product = products.get(product_id)
        if product is None or not product.is_active:
            raise EditRefused("A product you added is not sold (any more).", extra={"field": "lines"})
    lines_change = {line.product_id: line.quantity for line in current} != wanted

    if not delivery_method.is_active and delivery_method.pk != order.delivery_method_id:
        raise EditRefused("This delivery method is no longer offered.", extra={"field": "delivery_method"})
    if shipping_address is None and not delivery_method.is_pickup:
        raise EditRefused("A delivery address is needed for this delivery method.", extra={"field": "shipping_address"})
    problems = delivery_choice_problems(
        delivery_method=delivery_method, payment_method=order.payment_method, requested_delivery_date=None
    )
    if problems:
        raise EditRefused(problems[0][1], extra={"field": "delivery_method"})
    if delivery_method.is_pickup:
        shipping_address = None
    _refuse_shipped(order, lines_change)

    code = (voucher_code or "").strip().upper()
    offer = None
    if code and code == order.discount_code:
        discount = Discount.from_data(order.discount_terms) if order.discount_terms else None
    elif code:
        if hasattr(order, "voucher_redemption"):
            raise EditRefused(
                "This order already used a discount code; one order can use one code.", extra={"field": "voucher_code"}
            )
        offer = voucher_offer_find(code=code, customer=order.customer)
        problem = VOUCHER_NOT_VALID if offer is None else offer.problem()
        if problem:
            raise EditRefused(problem, extra={"field": "voucher_code"})
        discount = offer.discount
    else:
        discount = None

    # Price: kept lines at their agreed price, new ones at today's (PRICE_RULE).
    rows = []
    for product_id, quantity in wanted.items():
        kept = by_product.get(product_id)
        if kept is not None:
            product = kept.product
            rows.append((kept, product, quantity, kept.unit_price, kept.tax_rate))
        else:
            product = products[product_id]
            rows.append((None, product, quantity, product.price, product.tax_class.rate))
    inputs = [
        PriceInput(
            unit_price=unit_price,
            tax_rate=tax_rate,
            quantity=quantity,
            product_id=product.pk if product else None,
            category_id=product.category_id if product else None,
        )
        for _, product, quantity, unit_price, tax_rate in rows
    ]
    priced = price_order(
        lines=inputs, discount=discount, shipping_fee=delivery_method.fee, shipping_tax_rate=delivery_method.tax_rate
    )
    if offer is not None:
        problem = voucher_pricing_problem(discount=discount, priced=priced, currency=settings.CURRENCY)
        if problem:
            raise EditRefused(problem, extra={"field": "voucher_code"})

    before = order_edit_snapshot(order, current)
    changed = []
    if lines_change or (discount is not None and priced.discount_total != order.discount_total):
        changed.append("lines")
    if delivery_method.pk != order.delivery_method_id:
        changed.append("delivery")
    if before["shipping_address"] != (shipping_address and _clean(shipping_address)) or before[
        "billing_address"
    ] != _clean(billing_address):
        changed.append("addresses")
    if code != order.discount_code:
        changed.append("voucher")
    if not changed:
        raise EditRefused("Nothing was changed; there is no new version to save.", extra={"field": "lines"})

    # From here on: writes.
    if lines_change:
        stock_levels_lock(product_ids={p for p in list(wanted) + list(by_product) if p})
        # Parcels waiting to be picked (checked above) are made again from the new allocations.
        Shipment.objects.filter(order=order, status=Shipment.Status.PENDING).delete()
        stock_release_order(order=order, actor=actor, reason=f"Order edited: {reason}")
    keep_ids = set()
    new_lines = []
    for (kept, product, quantity, unit_price, tax_rate), price in zip(rows, priced.lines, strict=True):
        values = {
            "quantity": quantity,
            "discount_amount": price.discount,
            "net_amount": price.net,
            "tax_amount": price.tax,
            "line_total": price.total,
        }
        if kept is not None:
            keep_ids.add(kept.pk)
            OrderLine.objects.filter(pk=kept.pk).update(**values)
        else:
            new_lines.append(
                OrderLine(
                    order=order,
                    product=product,
                    sku=product.sku,
                    name=product.name,
                    kind=product.kind,
                    unit_price=unit_price,
                    tax_rate=tax_rate,
                    **values,
                )
            )
    removed = [line.pk for line in current if line.pk not in keep_ids]
    if removed:
        OrderLine.objects.filter(pk__in=removed).delete()  # their allocations were released above
    OrderLine.objects.bulk_create(new_lines)

    _address_write(order, "billing_address", billing_address)
    if shipping_address is None:
        order.shipping_address = None
    elif order.shipping_address_id is None or order.shipping_address_id == order.billing_address_id:
        order.shipping_address = Address.objects.create(**_clean(shipping_address))
    else:
        _address_write(order, "shipping_address", shipping_address)

    if "voucher" in changed:
        if order.discount_code:
            voucher_release_for_order(order=order)
        if offer is not None:
            try:
                voucher_redeem(
                    voucher=offer.voucher,
                    order=order,
                    customer=order.customer,
                    amount=priced.savings,
                    customer_last_use=offer.customer_last_use,
                )
            except VoucherRefused as refused:
                raise EditRefused(refused.message, extra={"field": "voucher_code"}) from refused
        order.voucher = offer.voucher if offer else None
        order.discount_code = offer.voucher.code if offer else ""
        order.discount_terms = discount.for_lines(inputs).as_data() if offer else {}
    number = order.version + 1
    order.version = number
    order.delivery_method = delivery_method
    order.delivery_method_name = delivery_method.name
    order.shipping_tax_rate = delivery_method.tax_rate
    order.subtotal = priced.subtotal
    order.discount_total = priced.discount_total
    order.shipping_discount = priced.shipping_discount
    order.shipping_total = priced.shipping_net
    order.tax_total = priced.tax_total
    order.total = priced.total
    Order.objects.filter(pk=order.pk).update(
        version=number,
        delivery_method=delivery_method,
        delivery_method_name=delivery_method.name,
        shipping_tax_rate=delivery_method.tax_rate,
        shipping_address=order.shipping_address,
        voucher=order.voucher,
        discount_code=order.discount_code,
        discount_terms=order.discount_terms,
        subtotal=priced.subtotal,
        discount_total=priced.discount_total,
        shipping_discount=priced.shipping_discount,
        shipping_total=priced.shipping_net,
        tax_total=priced.tax_total,
        total=priced.total,
        updated_at=timezone.now(),
    )
    after = order_edit_snapshot(order)
    diff = order_version_diff(before=before, after=after)
    version = OrderVersion.objects.create(
        order=order,
        number=number,
        actor=actor,
        actor_label=actor_label(actor, ""),
        reason=reason,
        changed=changed,
        before=before,
        after=after,
    )
    event_order_edited(
        order=order,
        actor=actor,
        note=f"Version {number}: changed {' and '.join(CHANGE_LABELS[c] for c in changed)}. {reason} "
        f"Total {money_display(before['totals']['total'])} → {money_display(after['totals']['total'])}.",
        data={"version": number, "reason": reason, "changed": changed, "diff": diff},
    )
    order = _recheck(order, actor=actor, lines_change=lines_change)
    return EditResult(
        order=Order.objects.get(pk=order.pk),
        version=version,
        total_before=Decimal(before["totals"]["total"]),
        total_after=priced.total or ZERO,
    )


def _clean(data: AddressData) -> dict:
    fields = {name: (getattr(data, name) or "").strip() for name in AddressData.__dataclass_fields__}
    fields["country"] = fields["country"].upper()
    return fields


def _address_write(order: Order, role: str, data: AddressData) -> None:
    address = getattr(order, role)
    fields = _clean(data)
    if any(getattr(address, name) != value for name, value in fields.items()):
        Address.objects.filter(pk=address.pk).update(**fields)
        for name, value in fields.items():
            setattr(address, name, value)


def _recheck(order: Order, *, actor, lines_change: bool) -> Order:
    """Verification again after an edit. Orders in fulfilment keep their state: with new lines their
    stock is allocated again and their parcels made again (with the work items), and an order the
    warehouse has cannot wait for stock, so a shortage refuses the edit (the whole edit rolls
    back), unless the order ships in parts anyway (its back-ordered rest follows). The others move
    to what the checks decide (verified, back-ordered or on hold); the stock check allocates."""
    if order.status != Order.Status.IN_FULFILLMENT:
        return order_recheck_after_edit(order=order, actor=actor)
    if lines_change:
        allocation = stock_allocate_order(order=order, actor=actor)
        if not allocation.complete and not order.backorder_rest:
            short = ", ".join(f"{qty} x {sku}" for sku, qty in sorted(allocation.short_by_sku.items()))
            raise EditRefused(
                f"Order {order.number} is in the warehouse and cannot wait for stock; short: {short}. "
                "Lower the quantity or remove the line.",
                extra={"field": "lines"},
            )
        parcels_make(order=order, with_service_lines=True)
    return order
