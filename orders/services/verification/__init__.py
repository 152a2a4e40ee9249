"""Verification, the second stage of an order: checks right after placement, re-checks, releasing holds.

`checks` (stock, pricing, customer), `risk` (the risk rules) and `service` (the public services).
"""

from .checks import POSTAL_CODE_SHAPES, CheckOutcome, check_customer, check_pricing, stock_allocate_and_check
from .risk import RISK_RULES, check_risk
from .service import (
    CHECKS,
    SoldOut,
    order_recheck_after_edit,
    order_release,
    order_reverify,
    order_verify_automatically,
    order_verify_placed,
)

__all__ = [
    "CHECKS",
    "POSTAL_CODE_SHAPES",
    "RISK_RULES",
    "CheckOutcome",
    "SoldOut",
    "check_customer",
    "check_pricing",
    "check_risk",
    "stock_allocate_and_check",
    "order_recheck_after_edit",
    "order_release",
    "order_reverify",
    "order_verify_automatically",
    "order_verify_placed",
]
