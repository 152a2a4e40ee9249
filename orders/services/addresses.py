"""Correcting the address an order was placed with (the on-hold queue's "fix the address")."""

from dataclasses import dataclass

from django.db import transaction

from orders_site.core.exceptions import ApplicationError, PermissionRefused, TransitionRefused

from ..events import event_order_address_changed
from ..locks import order_address_lock, order_lock
from ..models import Address, Order
from ..selectors import addresses_alike
from .verification import order_reverify

# What staff may correct on an order's frozen copy; `customer` stays empty (it is no address-book entry).
ADDRESS_FIELDS = ("full_name", "company", "line1", "line2", "postal_code", "city", "region", "country", "phone")


@transaction.atomic
def order_address_update(*, order: Order, address: Address, changes: dict, actor, reason: str = "") -> Address:
    """Correct the order's shipping or billing address until the order is dispatched.

    Only the fields in `changes` that really differ are written, and one "order.address_changed"
    event records them with their old and new values. The order stays where it is: re-checking a
    held order is a separate step (`order_reverify`).

    Locks: orders.locks.order_lock, then order_address_lock. Queues nothing.
    Raises PermissionRefused (actor may not change addresses), TransitionRefused (the order is
    dispatched or further, or cancelled), ApplicationError (not this order's address, a field that
    is not part of an address), all before writing anything. Changes equal to what is stored write
    nothing and no event.
    """
    if actor is not None and not (actor.is_staff and actor.has_perm("orders.change_address")):
        raise PermissionRefused("You are not allowed to change addresses.")
    order = order_lock(order_id=order.pk)
    if order.status not in Order.CANCELLABLE:
        raise TransitionRefused(
            f"Order {order.number} is “{order.get_status_display()}”; its address can only be corrected until "
            "the order is dispatched."
        )
    roles = [
        role
        for role, address_id in (("shipping", order.shipping_address_id), ("billing", order.billing_address_id))
        if address_id == address.pk
    ]
    if not roles:
        raise ApplicationError(f"This address is not the shipping or billing address of order {order.number}.")
    unknown = sorted(set(changes) - set(ADDRESS_FIELDS))
    if unknown:
        raise ApplicationError(f"Only the address itself can be corrected on an order, not: {', '.join(unknown)}.")
    current = order_address_lock(address_id=address.pk)
    after = {
        name: (value or "").strip()
        for name, value in changes.items()
        if (value or "").strip() != getattr(current, name)
    }
    if not after:
        return current  # nothing to correct, nothing to record
    before = {name: getattr(current, name) for name in after}
    Address.objects.filter(pk=current.pk).update(**after)
    for name, value in after.items():
        setattr(current, name, value)
    role = " and ".join(roles)
    note = f"{role.capitalize()} address corrected: {', '.join(after)}."
    if reason.strip():
        note += f" {reason.strip()}"
    event_order_address_changed(
        order=order,
        actor=actor,
        note=note,
        data={"address": role, "before": before, "after": after},
    )
    return current


@dataclass(frozen=True)
class AddressFix:
    order: Order  # as it is after the fix (and the re-check)
    roles: tuple[str, ...]  # the addresses corrected: "shipping", "billing" or both
    rechecked: bool  # a held order was checked again


def order_address_twin(*, order: Order, address: Address) -> Address | None:
    """The order's other address when it says the same as `address` (delivery and billing typed
    once at checkout are two equal copies): fixing one should fix both. None otherwise."""
    other_ids = {order.shipping_address_id, order.billing_address_id} - {address.pk, None}
    if not other_ids:
        return None
    other = Address.objects.filter(pk__in=other_ids).first()
    return other if addresses_alike(address, other) else None


@transaction.atomic
def order_address_fix(
    *, order: Order, address: Address, changes: dict, actor, also_twin: bool = False, reason: str = ""
) -> AddressFix:
    """Fix an order's address in one step: correct it (order_address_update), also correct the
    order's other address when it said the same before the fix and `also_twin`, and re-check a
    held order at once (order_reverify) when something changed and the actor may verify orders.

    Whether the two addresses were the same is decided here, from the rows under lock, not from
    what the form showed. Each corrected address writes its own "order.address_changed" event; the
    re-check writes what order_reverify writes (verified, back-ordered, or still held).
    Locks: orders.locks.order_lock, then each address (order_address_lock), then what
    order_reverify locks. Queues what order_reverify queues. Raises what order_address_update
    raises, before writing anything.
    """
    order = order_lock(order_id=order.pk)
    current = Address.objects.get(pk=address.pk)
    twin = order_address_twin(order=order, address=current) if also_twin else None
    changed = any((value or "").strip() != getattr(current, name, None) for name, value in changes.items())
    order_address_update(order=order, address=current, changes=changes, actor=actor, reason=reason)
    roles = [
        role
        for role, pk in (("shipping", order.shipping_address_id), ("billing", order.billing_address_id))
        if pk == current.pk
    ]
    if twin is not None and changed:
        order_address_update(order=order, address=twin, changes=changes, actor=actor, reason=reason)
        roles += [
            role
            for role, pk in (("shipping", order.shipping_address_id), ("billing", order.billing_address_id))
            if pk == twin.pk
        ]
    may_verify = actor is None or actor.has_perm("orders.verify_order")
    rechecked = changed and order.status == Order.Status.ON_HOLD and may_verify
    if rechecked:
        order = order_reverify(order=order, actor=actor)
    return AddressFix(order=Order.objects.get(pk=order.pk), roles=tuple(roles), rechecked=rechecked)
