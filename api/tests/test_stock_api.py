"""Stock through the API: receipts fill waiting back-orders first, counts correct on hand with a
reason signed by the key, and bad input is a 422 that changes nothing."""

from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import StockLevel, StockMovement
from orders.models import Order
from tests.builders import order_build, product_build, stock_put

from .test_orders_api import is_problem

pytestmark = pytest.mark.django_db

RECEIVE = reverse("api:stock_receive")
ADJUST = reverse("api:stock_adjust")


def test_a_receipt_fills_a_waiting_back_order_first(api_as, shop):
    desk = product_build(sku="DESK-2", name="Desk", price=Decimal("30.00"), is_backorderable=True)
    stock_put(product=desk, warehouse=shop.main, quantity=1)
    waiting = order_build(lines=[(desk, 3)], state="backordered")  # one desk promised, two to come
    wms = api_as("stock:write", name="WMS")

    response = wms.post(RECEIVE, {"sku": "DESK-2", "warehouse": "AMS", "quantity": 5, "reference": "DN-4411"})

    assert response.status_code == 200, response.content
    assert (response.json()["on_hand"], response.json()["allocated"], response.json()["available"]) == (6, 3, 3)
    assert Order.objects.get(pk=waiting.pk).status == "verified"
    assert StockMovement.objects.filter(kind="receipt", reference="DN-4411").count() == 1


def test_a_count_corrects_on_hand_with_the_keys_name_on_the_reason(api_as, shop):
    wms = api_as("stock:write", name="WMS")

    response = wms.post(ADJUST, {"sku": "CHAIR-1", "warehouse": "AMS", "delta": -2, "reason": "Cycle count"})

    assert response.json()["on_hand"] == 8
    assert StockMovement.objects.filter(kind="adjustment").get().reason == "Cycle count (API: WMS)"


def test_bad_stock_requests_are_422_and_change_nothing(api_as, shop):
    wms = api_as("stock:write")
    before = list(StockLevel.objects.values_list("on_hand", "allocated").order_by("pk"))

    assert "sku" in is_problem(wms.post(RECEIVE, {"sku": "NOPE", "warehouse": "AMS", "quantity": 1}), 422)["errors"]
    assert (
        "quantity"
        in is_problem(wms.post(RECEIVE, {"sku": "CHAIR-1", "warehouse": "AMS", "quantity": 0}), 422)["errors"]
    )
    large = wms.post(RECEIVE, {"sku": "CHAIR-1", "warehouse": "AMS", "quantity": 5000})
    assert "large receipt" in is_problem(large, 422)["detail"]
    below = wms.post(ADJUST, {"sku": "CHAIR-1", "warehouse": "AMS", "delta": -50, "reason": "Count"})
    assert is_problem(below, 422)
    assert "reason" in is_problem(wms.post(ADJUST, {"sku": "CHAIR-1", "warehouse": "AMS", "delta": 1}), 422)["errors"]
    assert list(StockLevel.objects.values_list("on_hand", "allocated").order_by("pk")) == before
    assert "stock:write" in is_problem(api_as("stock:read").post(ADJUST, {}), 403)["detail"]
