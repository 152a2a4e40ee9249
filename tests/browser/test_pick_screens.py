"""The warehouse's screens in a real browser (issue 11): the to-pick queue at 1280 x 800, and a
batch's pick list on a 390 px phone, big rows that fit the screen, ticked off with a tap.

With UPDATE_SCREENSHOTS=1 the pictures replace docs/screenshots/pick-queue.png and pick-list.png."""

from datetime import timedelta

import pytest

from tests.browser.screenshots import save

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "picker-pass-42"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def warehouse_world(shop):
    """Amsterdam parcels to pick (one overdue, one for a requested date), two of them batched."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from orders.models import OrderLine, Shipment
    from orders.services.picking import pick_batch_create
    from tests.builders import bin_put, order_build, parcels_of, staff_member, stock_put

    picker = staff_member("Warehouse")
    picker.set_password(PASSWORD)
    picker.save()
    stock_put(product=shop.chair, warehouse=shop.main, quantity=40)
    bin_put(product=shop.chair, warehouse=shop.main, code="B-05-2", walk_order=20)
    bin_put(product=shop.lamp, warehouse=shop.main, code="A-01-1", walk_order=10)

    def started(lines, **placement):
        return order_build(lines=lines, state="in_fulfillment", actor=picker, **placement)

    late = started([(shop.chair, 1)])
    Shipment.objects.filter(order=late).update(dispatch_by=timezone.localdate() - timedelta(days=2))
    started([(shop.chair, 2), (shop.lamp, 1)], requested_delivery_date=timezone.localdate() + timedelta(days=10))
    started([(shop.lamp, 2)])
    first = started([(shop.chair, 2)])
    second = started([(shop.chair, 1), (shop.lamp, 2)])
    OrderLine.objects.filter(order=second, sku="CHAIR-1").update(customisation_notes="Engrave 'Anna'")
    batch = pick_batch_create(shipments=parcels_of(first) + parcels_of(second), actor=picker)
    User.objects.create_superuser(username="boss", password=PASSWORD, email="boss@example.com")
    return batch


def sign_in(page, username: str) -> None:
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


def test_the_to_pick_queue_and_a_pick_list_on_a_phone(warehouse_world, new_page, out):
    # Given the warehouse signed in at a desk
    page = new_page(viewport={"width": 1280, "height": 800})
    sign_in(page, "warehouse")

    # When they open "To pick" for Amsterdam from the home's breakdown
    page.locator('[data-queue="shipments.to_pick"]').get_by_role("link", name="AMS").click()
    page.wait_for_url("**/admin/orders/shipment/?status__exact=pending&warehouse__id__exact=*")

    # Then the oldest promise is first, marked overdue, and nothing scrolls sideways
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 3
    assert "overdue" in rows.first.locator(".field-dispatch_by_shown").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    save(page, out, "pick-queue")

    # And on a phone the batch's pick list has big rows that fit the screen, ticked off with a tap
    phone = new_page(viewport=PHONE)
    sign_in(phone, "warehouse")
    phone.goto(f"/admin/orders/pickbatch/{warehouse_world.pk}/pick-list/")
    bins = phone.locator(".pick-row .pick-bin")
    assert [bins.nth(i).inner_text() for i in range(bins.count())] == ["A-01-1", "B-05-2"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    first_row = phone.locator(".pick-row").first
    assert first_row.bounding_box()["height"] >= 44
    first_row.locator(".pick-tick").check()
    assert "pick-row--done" in first_row.get_attribute("class")
    assert "Engrave 'Anna'" in phone.locator(".pick-list").inner_text()
    save(phone, out, "pick-list", full_page=True)
