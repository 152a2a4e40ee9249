"""The staff console for orders: one module per page family, registered on import."""

from . import carriers, customers, order_desk, orders, queues, records, shipments, vouchers  # noqa: F401
