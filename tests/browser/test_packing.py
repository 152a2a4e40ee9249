"""The packing screen in a real browser (issue 11, item 3): a keyboard-wedge scanner types the code
and presses Enter; each scan confirms a unit without reloading the page, a wrong code is refused in
red, and "Mark packed" appears only once every line is confirmed. Without JavaScript the same form
posts and the page comes back updated.

With UPDATE_SCREENSHOTS=1 the screen replaces README's picture (docs/screenshots/packing.png)."""

import re

import pytest

from tests.browser.screenshots import save

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHAIR_EAN = "8712345678906"
LAMP_EAN = "8700000000017"


@pytest.fixture
def parcel(shop):
    """Two chairs and an engraved lamp, being picked in Amsterdam; the engraving is done."""
    from inventory.models import Product
    from orders.models import WorkItem
    from orders.services.fulfillment import shipment_start_picking
    from orders.services.work_items import work_item_finish
    from tests.builders import order_build, parcels_of, staff_member

    Product.objects.filter(pk=shop.chair.pk).update(barcode=CHAIR_EAN)
    Product.objects.filter(pk=shop.lamp.pk).update(barcode=LAMP_EAN)
    warehouse = staff_member("Warehouse")
    order = order_build(
        lines=[(shop.chair, 2), (shop.lamp, 1, "Engrave “Anna”")], state="in_fulfillment", actor=warehouse
    )
    shipment = shipment_start_picking(shipment=parcels_of(order)[0], actor=warehouse)
    for item in WorkItem.objects.filter(order=order):
        work_item_finish(work_item=item, actor=warehouse)
    return shipment


def sign_in_as_warehouse(page) -> None:
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("warehouse")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


def wedge(page, code: str) -> None:
    """What a keyboard-wedge scanner does: type the code into the focused field and press Enter."""
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def test_scanning_confirms_units_refuses_a_wrong_one_and_offers_packed_when_done(new_page, parcel, out):
    from playwright.sync_api import expect

    from orders.models import Shipment

    page = new_page(viewport={"width": 1280, "height": 800})
    csp_violations = []
    page.on("console", lambda message: "Content Security Policy" in message.text and csp_violations.append(message))
    sign_in_as_warehouse(page)
    page.goto(f"/admin/orders/shipment/{parcel.pk}/packing/")
    feedback = page.get_by_test_id("packing-feedback")
    progress = page.get_by_test_id("packing-progress")
    page.evaluate("window.notReloaded = true")

    # The code field has the focus: the scanner types straight into it
    assert page.evaluate("document.activeElement.name") == "code"
    assert page.get_by_role("button", name="Mark packed").count() == 0

    # A scan confirms one unit, in green, without reloading the page
    wedge(page, CHAIR_EAN)
    expect(feedback).to_contain_text("1 of 2")
    assert feedback.inner_text() == "CHAIR-1: 1 of 2 packed"
    assert "packing-feedback--ok" in feedback.get_attribute("class")
    assert progress.nth(0).inner_text() == "1 of 2"
    assert page.evaluate("window.notReloaded") is True

    # A wrong code is refused in red, and nothing is confirmed
    wedge(page, "BOOK-1")
    expect(feedback).to_contain_text("Put it back")
    assert feedback.inner_text() == "Woodworking book (BOOK-1) is not in this parcel. Put it back."
    assert "packing-feedback--refused" in feedback.get_attribute("class")
    assert progress.nth(0).inner_text() == "1 of 2"
    assert page.get_by_role("button", name="Mark packed").count() == 0

    # The rest: the last chair, then the lamp; the field is empty and focused after each scan
    wedge(page, "chair-1")
    expect(feedback).to_contain_text("2 of 2")
    assert page.evaluate("document.activeElement.name") == "code"
    assert page.input_value("input[name=code]") == ""
    wedge(page, LAMP_EAN)
    packed = page.get_by_role("button", name="Mark packed")
    packed.wait_for()
    assert feedback.inner_text() == "LAMP-1: 1 of 1 packed — parcel complete"
    assert [progress.nth(n).inner_text() for n in range(2)] == ["2 of 2", "1 of 1"]
    save(page, out, "packing")

    packed.click()
    page.wait_for_url(re.compile(rf"/admin/orders/shipment/{parcel.pk}/change/"))
    assert f"Parcel {parcel.number} is packed" in page.content()
    assert Shipment.objects.get(pk=parcel.pk).status == Shipment.Status.PACKED
    assert csp_violations == []


def test_without_javascript_a_scan_posts_and_the_page_comes_back_updated(new_page, parcel):
    page = new_page(java_script_enabled=False)
    sign_in_as_warehouse(page)
    page.goto(f"/admin/orders/shipment/{parcel.pk}/packing/")

    page.fill("input[name=code]", CHAIR_EAN)
    page.fill("input[name=count]", "2")
    page.press("input[name=code]", "Enter")
    page.wait_for_load_state()

    assert page.get_by_test_id("packing-feedback").inner_text() == "CHAIR-1: 2 of 2 packed"
    assert page.get_by_test_id("packing-progress").nth(0).inner_text() == "2 of 2"
