"""The staff console for orders: one module per page family, registered on import."""

from . import customers, order_desk, orders, picking, queues, records, shipments, vouchers, work_items  # noqa: F401
