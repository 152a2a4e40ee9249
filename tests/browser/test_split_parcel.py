"""The warehouse splits a parcel in a real browser: from the parcel's page to the "Split parcel"
page, a wrong number shown beside its field, then the split, with no CSP violation on the way.
The page is saved as docs/screenshots/split-parcel.png with UPDATE_SCREENSHOTS=1."""

import pytest

from tests.browser.screenshots import save
from tests.browser.test_content_security_policy import watched
from tests.builders import order_build, parcels_of, staff_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_warehouse_splits_a_parcel_from_its_page(page, shop, out):
    # Given a pending parcel of four books and two lamps, and the warehouse signed in
    order = order_build(lines=[(shop.book, 4), (shop.lamp, 2)], state="in_fulfillment")
    (parcel,) = parcels_of(order)
    staff_member("Warehouse")
    page, problems = watched(page)
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("warehouse")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")

    # When they open the parcel and follow "Split parcel"
    page.goto(f"/admin/orders/shipment/{parcel.pk}/change/")
    page.get_by_role("link", name="Split parcel").click()
    page.wait_for_url(f"**/shipment/{parcel.pk}/split/")
    assert page.get_by_test_id("split-lines").locator("tbody tr").count() == 2

    # And ask for more books than the parcel holds: the page says so beside the field
    page.get_by_label("BOOK-1 to move").fill("7")
    page.get_by_role("button", name="Split parcel").click()
    assert page.locator("tr.errors .errorlist").inner_text() == "BOOK-1: the parcel holds 4, so at most 4 can move."
    save(page, out, "split-parcel")

    # When they move one book instead
    page.get_by_label("BOOK-1 to move").fill("1")
    page.get_by_role("button", name="Split parcel").click()

    # Then they are back on the parcel with the news, and the new parcel holds the book
    page.wait_for_url(f"**/shipment/{parcel.pk}/change/")
    assert f"the units you chose are in new parcel {order.number}-2" in page.locator(".messagelist").inner_text()
    assert sorted(parcel.lines.values_list("quantity", flat=True)) == [2, 3]
    problems.extend(page.evaluate("window.__cspViolations"))
    assert problems == []
