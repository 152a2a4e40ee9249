"""The payment-gateway interface, and the test gateway that ships with the product."""

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class GatewayResult:
    ok: bool
    reference: str = ""
    message: str = ""


class PaymentGateway(Protocol):
    def authorize(self, *, amount: Decimal, currency: str, card_token: str, reference: str) -> GatewayResult: ...
    def capture(self, *, gateway_reference: str, amount: Decimal) -> GatewayResult: ...
    def void(self, *, gateway_reference: str) -> GatewayResult: ...
    def refund(
        self, *, gateway_reference: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> GatewayResult: ...


class TestGateway:
    """Approves every card except numbers ending in 0002 (declined), like common sandbox gateways.
    Cards ending in 0051 are approved but their refunds are declined. Refunds are idempotent by
    key and never exceed what was captured, as at a real gateway; `refunds` is what it paid out
    (per process), for tests to count."""

    DECLINED_SUFFIX = "0002"
    REFUND_DECLINED_SUFFIX = "0051"
    NO_REFUNDS_PREFIX = "test_norefund_"
    refunds: dict[str, tuple[str, Decimal]] = {}  # idempotency key -> (gateway reference, amount)

    def authorize(self, *, amount, currency, card_token, reference) -> GatewayResult:
        digits = "".join(ch for ch in card_token if ch.isdigit())
        if len(digits) < 12:
            return GatewayResult(ok=False, message="The card number is not complete.")
        if digits.endswith(self.DECLINED_SUFFIX):
            return GatewayResult(ok=False, message="The card was declined by the bank.")
        if digits.endswith(self.REFUND_DECLINED_SUFFIX):
            return GatewayResult(ok=True, reference=f"{self.NO_REFUNDS_PREFIX}{uuid.uuid4().hex[:16]}")
        return GatewayResult(ok=True, reference=f"test_{uuid.uuid4().hex[:16]}")

    def capture(self, *, gateway_reference, amount) -> GatewayResult:
        return GatewayResult(ok=True, reference=gateway_reference)

    def void(self, *, gateway_reference) -> GatewayResult:
        return GatewayResult(ok=True, reference=gateway_reference)

    def refund(self, *, gateway_reference, amount, currency, idempotency_key) -> GatewayResult:
        done = self.refunds.get(idempotency_key)
        if done is not None:  # the same request again (a retry after a lost answer): same answer
            return GatewayResult(ok=True, reference=done[0])
        if gateway_reference.startswith(self.NO_REFUNDS_PREFIX):
            return GatewayResult(ok=False, message="The card issuer declined the refund.")
        reference = f"test_re_{uuid.uuid4().hex[:16]}"
        self.refunds[idempotency_key] = (reference, amount)
        return GatewayResult(ok=True, reference=reference)


def gateway_get() -> PaymentGateway:
    return import_string(settings.PAYMENT_GATEWAY)()
