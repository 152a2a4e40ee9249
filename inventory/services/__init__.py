"""Everything that changes stock. Each change writes its movement in the same transaction.

Split by subdomain: `ledger` (receipts, adjustments, returns, write-offs), `allocation`
(promising stock to orders, releasing, dispatching), `purchasing` (purchase orders) and
`settings` (a level's reorder settings and bin, never its quantities, so no movement). Giving
incoming stock to waiting back-orders is a hand-off to orders: lifecycle/receiving.py.
"""

from .allocation import (
    AllocationResult,
    stock_allocate_again,
    stock_allocate_order,
    stock_dispatch,
    stock_release_order,
)
from .ledger import (
    BackorderOutcome,
    InsufficientStock,
    LargeReceiptUnconfirmed,
    ReceiptLine,
    ReceiptResult,
    stock_adjust,
    stock_adjust_many,
    stock_level_get_or_create,
    stock_receive,
    stock_receive_many,
    stock_return,
    stock_write_off,
    stock_write_off_many,
)
from .purchasing import (
    PurchaseLineRequest,
    purchase_order_cancel,
    purchase_order_close,
    purchase_order_create,
    purchase_order_draft_save,
    purchase_order_receive,
    purchase_order_send,
    purchase_order_transition_run,
    purchase_orders_draft_from_suggestions,
)
from .settings import stock_level_settings_update

__all__ = [
    "AllocationResult",
    "stock_allocate_again",
    "BackorderOutcome",
    "InsufficientStock",
    "LargeReceiptUnconfirmed",
    "PurchaseLineRequest",
    "ReceiptLine",
    "ReceiptResult",
    "purchase_order_cancel",
    "purchase_order_close",
    "purchase_order_create",
    "purchase_order_draft_save",
    "purchase_order_receive",
    "purchase_order_send",
    "purchase_order_transition_run",
    "purchase_orders_draft_from_suggestions",
    "stock_adjust",
    "stock_adjust_many",
    "stock_allocate_order",
    "stock_dispatch",
    "stock_level_get_or_create",
    "stock_level_settings_update",
    "stock_receive",
    "stock_receive_many",
    "stock_release_order",
    "stock_return",
    "stock_write_off",
    "stock_write_off_many",
]
