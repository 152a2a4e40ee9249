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


class TestGateway:
    """Approves every card except numbers ending in 0002 (declined), like common sandbox gateways."""

    DECLINED_SUFFIX = "0002"

    def authorize(self, *, amount, currency, card_token, reference) -> GatewayResult:
        digits = "".join(ch for ch in card_token if ch.isdigit())
        if len(digits) < 12:
            return GatewayResult(ok=False, message="The card number is not complete.")
        if digits.endswith(self.DECLINED_SUFFIX):
            return GatewayResult(ok=False, message="The card was declined by the bank.")
        return GatewayResult(ok=True, reference=f"test_{uuid.uuid4().hex[:16]}")

    def capture(self, *, gateway_reference, amount) -> GatewayResult:
        return GatewayResult(ok=True, reference=gateway_reference)

    def void(self, *, gateway_reference) -> GatewayResult:
        return GatewayResult(ok=True, reference=gateway_reference)


def gateway_get() -> PaymentGateway:
    return import_string(settings.PAYMENT_GATEWAY)()
