"""The staff console for orders: one module per page family, registered on import."""

from . import (  # noqa: F401
    carriers,
    customers,
    imports,
    order_desk,
    orders,
    picking,
    queues,
    records,
    returns,
    shipments,
    vouchers,
    work_items,
)
