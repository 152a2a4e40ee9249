"""Inventory admin: smoke tests for every page and action, and changelists whose query count stays flat."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.admin import ProductAdmin, StockLevelAdmin
from inventory.models import BinLocation, PurchaseOrder, StockLevel, StockMovement
from inventory.selectors import stock_audit_differences
from inventory.services import (
    PurchaseLineRequest,
    purchase_order_create,
    purchase_order_receive,
    stock_allocate_order,
    stock_receive,
)
from inventory.tests.factories import BinLocationFactory, ProductFactory, SupplierFactory, WarehouseFactory
from tests.builders import order_build, order_row, purchase_order_sent

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"admin:inventory_{name}", args=args)


@pytest.fixture
def stock(db):
    warehouse = WarehouseFactory(code="AMS", priority=1)
    bin_location = BinLocationFactory(warehouse=warehouse, code="A-01-1")
    lamp = ProductFactory(sku="LAMP-1", name="Desk lamp")
    stock_receive(product=lamp, warehouse=warehouse, quantity=5, bin_location=bin_location)
    return warehouse, lamp, StockLevel.objects.get(product=lamp)


def action(client, name, levels, **data):
    return client.post(
        url("stocklevel_changelist"),
        {"action": name, "_selected_action": [lv.pk for lv in levels], **data},
        follow=True,
    )


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


# --- smoke --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model, search",
    [
        ("product", "LAMP"),
        ("warehouse", "AMS"),
        ("binlocation", "A-01"),
        ("stocklevel", "LAMP"),
        ("stockmovement", "LAMP"),
        ("supplier", "Oak"),
        ("purchaseorder", "PO-"),
        ("category", "x"),
        ("taxclass", "Standard"),
    ],
)
def test_changelist_and_search(admin_client, stock, model, search):
    SupplierFactory(name="Oak & Co")
    purchase_order_sent(warehouse=stock[0], lines=[(stock[1], 3)])
    assert admin_client.get(url(f"{model}_changelist")).status_code == 200
    assert admin_client.get(url(f"{model}_changelist"), {"q": search}).status_code == 200


def test_change_pages(admin_client, stock):
    warehouse, lamp, level = stock
    purchase_order = purchase_order_sent(warehouse=warehouse, lines=[(lamp, 3)])
    for name, pk in [
        ("product", lamp.pk),
        ("warehouse", warehouse.pk),
        ("binlocation", level.bin_location_id),
        ("stocklevel", level.pk),
        ("stockmovement", level.movements.first().pk),
        ("supplier", purchase_order.supplier_id),
        ("purchaseorder", purchase_order.pk),
    ]:
        response = admin_client.get(url(f"{name}_change", pk))
        assert response.status_code == 200, name
    assert admin_client.get(url("product_add")).status_code == 200
    assert admin_client.get(url("purchaseorder_add")).status_code == 200


def test_stock_level_shows_quantities_read_only_and_saves_reorder_settings(admin_client, stock):
    warehouse, _, level = stock
    other_bin = BinLocationFactory(warehouse=warehouse, code="B-02-1")
    BinLocationFactory(warehouse=WarehouseFactory(code="RTM"), code="Z-9")
    response = admin_client.get(url("stocklevel_change", level.pk))
    form = response.context["adminform"].form
    assert "on_hand" not in form.fields and "allocated" not in form.fields
    assert set(form.fields["bin_location"].queryset) == {level.bin_location, other_bin}

    response = admin_client.post(
        url("stocklevel_change", level.pk),
        {"bin_location": other_bin.pk, "reorder_point": 3, "reorder_quantity": 10, "safety_stock": 2, "on_hand": 99},
    )

    assert response.status_code == 302
    level.refresh_from_db()
    assert (level.bin_location, level.reorder_point, level.reorder_quantity, level.safety_stock, level.on_hand) == (
        other_bin,
        3,
        10,
        2,
        5,
    )
    assert level.movements.count() == 1  # settings are not stock movements


def _form_data(response) -> dict:
    """What the browser would post back from an admin change page: every form as it was rendered."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = "on" if value is True else value
    return data


def _allocate_meanwhile(monkeypatch, admin_class, method, lamp, quantity):
    """Another clerk's order takes stock after this request has loaded the row, before it saves."""
    original = getattr(admin_class, method)

    def racing(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        if not getattr(racing, "done", False):
            racing.done = True
            stock_allocate_order(order=order_row(lines=[(lamp, quantity)]))
        return result

    monkeypatch.setattr(admin_class, method, racing)


def test_saving_reorder_settings_keeps_stock_allocated_meanwhile(admin_client, stock, monkeypatch):
    _, lamp, level = stock
    page = admin_client.get(url("stocklevel_change", level.pk))
    data = {**_form_data(page), "reorder_point": 3, "reorder_quantity": 10, "safety_stock": 2}
    _allocate_meanwhile(monkeypatch, StockLevelAdmin, "get_object", lamp, 4)

    response = admin_client.post(url("stocklevel_change", level.pk), data)

    assert response.status_code == 302
    level.refresh_from_db()
    assert (level.on_hand, level.allocated) == (5, 4)
    assert (level.reorder_point, level.reorder_quantity, level.safety_stock) == (3, 10, 2)
    assert stock_audit_differences() == []


def test_saving_reorder_settings_on_the_product_page_keeps_stock_allocated_meanwhile(admin_client, stock, monkeypatch):
    _, lamp, level = stock
    page = admin_client.get(url("product_change", lamp.pk))
    data = _form_data(page)
    data.update({"stock_levels-0-reorder_point": 4, "stock_levels-0-reorder_quantity": 12})
    # The inline rows are loaded before the product is saved; the allocation lands in between.
    _allocate_meanwhile(monkeypatch, ProductAdmin, "save_model", lamp, 3)

    response = admin_client.post(url("product_change", lamp.pk), data)

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    level.refresh_from_db()
    assert (level.on_hand, level.allocated) == (5, 3)
    assert (level.reorder_point, level.reorder_quantity) == (4, 12)
    assert stock_audit_differences() == []


def test_stock_level_service_refuses_a_bin_of_another_warehouse(stock):
    from inventory.services import stock_level_settings_update
    from orders_site.core.exceptions import ApplicationError

    _, _, level = stock
    elsewhere = BinLocationFactory(warehouse=WarehouseFactory(code="RTM"), code="Z-9")
    with pytest.raises(ApplicationError, match="Bin Z-9 is not in AMS"):
        stock_level_settings_update(
            stock_level=level, reorder_point=1, reorder_quantity=1, safety_stock=0, bin_location=elsewhere
        )
    level.refresh_from_db()
    assert (level.reorder_point, level.bin_location.code) == (0, "A-01-1")


def test_stock_levels_cannot_be_added_or_deleted_in_the_admin(admin_client, stock):
    assert admin_client.get(url("stocklevel_add")).status_code == 403
    assert admin_client.get(url("stocklevel_delete", stock[2].pk)).status_code == 403


def test_movements_are_read_only(admin_client, stock):
    movement = stock[2].movements.first()
    assert admin_client.get(url("stockmovement_add")).status_code == 403
    assert admin_client.get(url("stockmovement_delete", movement.pk)).status_code == 403
    response = admin_client.post(url("stockmovement_change", movement.pk), {"on_hand_delta": 99})
    assert response.status_code == 403
    assert StockMovement.objects.get(pk=movement.pk).on_hand_delta == 5


def test_low_stock_filter(admin_client, stock):
    _, _, level = stock
    StockLevel.objects.filter(pk=level.pk).update(reorder_point=6)
    other = StockLevel.objects.create(product=ProductFactory(), warehouse=level.warehouse, reorder_point=0)
    response = admin_client.get(url("stocklevel_changelist"), {"stock": "low"})
    assert list(response.context["cl"].result_list) == [level]
    response = admin_client.get(url("stocklevel_changelist"), {"stock": "out"})
    assert list(response.context["cl"].result_list) == [other]


# --- actions ------------------------------------------------------------------------------------


def test_receive_stock_action_shows_a_form_then_receives(admin_client, stock):
    _, _, level = stock
    response = action(admin_client, "receive_stock", [level])
    assert response.status_code == 200 and f"level_{level.pk}" in response.context["form"].fields

    response = action(
        admin_client, "receive_stock", [level], apply="1", **{f"level_{level.pk}": 7, "reference": "DN-9"}
    )

    assert messages_of(response) == ["Received: 7 units added."]
    level.refresh_from_db()
    assert level.on_hand == 12
    assert level.movements.order_by("-pk").first().reference == "DN-9"


def test_receive_stock_action_refuses_nothing_to_receive(admin_client, stock):
    _, _, level = stock
    response = action(admin_client, "receive_stock", [level], apply="1")
    assert "Enter a quantity for at least one stock level." in response.context["form"].non_field_errors()


def test_receive_stock_action_completes_waiting_back_orders(admin_client, stock):
    warehouse, _, _ = stock
    desk = ProductFactory(sku="DESK", is_backorderable=True)
    level = StockLevel.objects.create(product=desk, warehouse=warehouse)
    order = order_build(state="backordered", lines=[(desk, 1)])

    response = action(admin_client, "receive_stock", [level], apply="1", **{f"level_{level.pk}": 1})

    assert messages_of(response) == [f"Received: 1 unit added; back-orders now complete and verified: {order.number}."]


def test_adjust_stock_action_needs_a_reason_and_reports_refusals(admin_client, stock):
    _, lamp, level = stock
    stock_allocate_order(order=order_row(lines=[(lamp, 4)]))

    response = action(admin_client, "adjust_stock", [level], apply="1", **{f"level_{level.pk}": -1})
    assert "This field is required." in response.context["form"].errors["reason"]

    response = action(admin_client, "adjust_stock", [level], apply="1", reason="broken", **{f"level_{level.pk}": -2})
    assert "are promised to orders; it cannot go down by 2" in str(response.context["form"].non_field_errors())

    response = action(admin_client, "adjust_stock", [level], apply="1", reason="recount", **{f"level_{level.pk}": -1})
    assert messages_of(response) == ["Adjusted 1 stock level: recount."]
    level.refresh_from_db()
    assert level.on_hand == 4


def test_adjusting_several_levels_is_all_or_nothing(admin_client, stock):
    warehouse, lamp, level = stock
    empty = StockLevel.objects.create(product=ProductFactory(), warehouse=warehouse)
    response = action(
        admin_client,
        "adjust_stock",
        [level, empty],
        apply="1",
        reason="recount",
        **{f"level_{level.pk}": 2, f"level_{empty.pk}": -1},
    )
    assert response.context["form"].non_field_errors()
    level.refresh_from_db()
    assert level.on_hand == 5


def test_write_off_action(admin_client, stock):
    _, _, level = stock
    response = action(
        admin_client, "write_off_stock", [level], apply="1", reason="water damage", **{f"level_{level.pk}": 2}
    )
    assert messages_of(response) == ["Wrote off 2 units: water damage."]
    assert level.movements.get(kind="write_off").on_hand_delta == -2


def test_fill_back_orders_action(admin_client, stock):
    warehouse, _, _ = stock
    desk = ProductFactory(sku="DESK", is_backorderable=True)
    level = StockLevel.objects.create(product=desk, warehouse=warehouse)
    response = action(admin_client, "fill_backorders", [level])
    assert messages_of(response) == ["No back-order could be given more stock."]

    order = order_build(state="backordered", lines=[(desk, 1)])
    stock_receive(product=desk, warehouse=warehouse, quantity=1)
    response = action(admin_client, "fill_backorders", [level])
    assert messages_of(response) == [f"Back-orders complete and verified: {order.number}; partly allocated: none."]


def test_warehouse_staff_can_receive_but_customer_service_cannot(client, stock, staff_users):
    _, _, level = stock
    client.force_login(staff_users["Warehouse"])
    response = action(client, "receive_stock", [level], apply="1", **{f"level_{level.pk}": 1})
    assert messages_of(response) == ["Received: 1 unit added."]
    client.force_login(staff_users["Customer service"])
    assert client.get(url("stocklevel_receive")).status_code == 403


# --- extra pages --------------------------------------------------------------------------------


def test_receive_page_creates_a_level_in_a_new_warehouse(admin_client, stock):
    _, lamp, _ = stock
    rtm = WarehouseFactory(code="RTM")
    bin_location = BinLocationFactory(warehouse=rtm, code="R-1")
    assert admin_client.get(url("stocklevel_receive")).status_code == 200

    response = admin_client.post(
        url("stocklevel_receive"),
        {"product": lamp.pk, "warehouse": rtm.pk, "bin_location": bin_location.pk, "quantity": 3},
        follow=True,
    )

    assert messages_of(response) == ["Received: 3 units added."]
    assert StockLevel.objects.get(product=lamp, warehouse=rtm).bin_location == bin_location


def test_receive_page_shows_a_service_error_next_to_the_field(admin_client, stock):
    _, lamp, _ = stock
    response = admin_client.post(
        url("stocklevel_receive"),
        {"product": lamp.pk, "warehouse": stock[0].pk, "bin_location": BinLocationFactory().pk, "quantity": 3},
    )
    assert "is not in AMS" in str(response.context["form"].errors["bin_location"])


def test_replenishment_page_lists_low_stock_and_drafts_purchase_orders(admin_client, stock):
    _, lamp, level = stock
    StockLevel.objects.filter(pk=level.pk).update(reorder_point=8, reorder_quantity=20)
    supplier = SupplierFactory()

    response = admin_client.get(url("stocklevel_replenishment"))
    assert [s.level for s in response.context["suggestions"]] == [level]
    assert b"LAMP-1" in response.content
    assert (
        admin_client.get(url("stocklevel_replenishment"), {"all": "1", "warehouse": level.warehouse_id}).status_code
        == 200
    )

    response = admin_client.post(
        url("stocklevel_replenishment"), {"supplier": supplier.pk, "levels": [level.pk]}, follow=True
    )

    purchase_order = PurchaseOrder.objects.get()
    assert messages_of(response) == [f"Draft purchase order {purchase_order.number} created."]
    assert [(line.product, line.quantity_ordered) for line in purchase_order.lines.all()] == [(lamp, 20)]


# --- purchase orders ----------------------------------------------------------------------------


def test_add_a_purchase_order_with_lines(admin_client, stock):
    warehouse, lamp, _ = stock
    supplier = SupplierFactory()
    response = admin_client.post(
        url("purchaseorder_add"),
        {
            "supplier": supplier.pk,
            "warehouse": warehouse.pk,
            "expected_on": "2030-01-02",
            "note": "",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product": lamp.pk,
            "lines-0-quantity_ordered": "12",
            "lines-0-unit_cost": "4.50",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    purchase_order = PurchaseOrder.objects.get()
    assert purchase_order.number == "PO-000001" and purchase_order.status == "draft"
    assert purchase_order.lines.get().quantity_ordered == 12
    assert purchase_order.events.get().kind == "purchase_order.created"


def test_purchase_order_buttons_run_the_transitions(admin_client, stock):
    warehouse, lamp, _ = stock
    purchase_order = purchase_order_sent(warehouse=warehouse, lines=[(lamp, 3)])
    draft = purchase_order_create(
        supplier=SupplierFactory(), warehouse=warehouse, lines=[PurchaseLineRequest(product=lamp, quantity=2)]
    )
    page = admin_client.get(url("purchaseorder_change", draft.pk))
    assert [name for name, _ in page.context["transition_buttons"]] == ["send", "cancel"]

    response = admin_client.post(
        url("purchaseorder_transition", draft.pk, "send"), {"expected_status": "draft"}, follow=True
    )
    assert messages_of(response) == [f"Send to supplier: done for {draft.number}."]
    response = admin_client.post(
        url("purchaseorder_transition", draft.pk, "send"), {"expected_status": "draft"}, follow=True
    )
    assert "since you opened it" in messages_of(response)[0]
    assert admin_client.get(url("purchaseorder_transition", draft.pk, "send")).status_code == 405
    assert admin_client.post(url("purchaseorder_transition", draft.pk, "delete")).status_code == 403

    response = admin_client.post(url("purchaseorder_transition", purchase_order.pk, "close"), follow=True)
    assert "Cannot close" in messages_of(response)[0]


def test_purchase_order_lines_are_frozen_once_sent(admin_client, stock):
    warehouse, lamp, _ = stock
    purchase_order = purchase_order_sent(warehouse=warehouse, lines=[(lamp, 3)])
    page = admin_client.get(url("purchaseorder_change", purchase_order.pk))
    form = page.context["adminform"].form
    assert "supplier" not in form.fields and "warehouse" not in form.fields
    assert page.context["can_receive"] is True


def test_receive_a_purchase_order_in_the_admin(admin_client, stock):
    warehouse, lamp, level = stock
    purchase_order = purchase_order_sent(warehouse=warehouse, lines=[(lamp, 3)])
    line = purchase_order.lines.get()
    assert admin_client.get(url("purchaseorder_receive", purchase_order.pk)).status_code == 200

    response = admin_client.post(url("purchaseorder_receive", purchase_order.pk), {f"line_{line.pk}": 4})
    assert "Ensure this value is less than or equal to 3." in str(response.context["form"].errors)

    response = admin_client.post(
        url("purchaseorder_receive", purchase_order.pk),
        {f"line_{line.pk}": 2, "bin_location": level.bin_location_id, "expected_status": "sent"},
        follow=True,
    )
    assert messages_of(response) == [f"{purchase_order.number}: 2 units added."]
    purchase_order.refresh_from_db()
    assert purchase_order.status == "partially_received"

    response = admin_client.post(
        url("purchaseorder_receive", purchase_order.pk), {f"line_{line.pk}": 1, "expected_status": "sent"}
    )
    assert "since you opened it" in str(response.context["form"].non_field_errors())


# --- query counts -------------------------------------------------------------------------------


def _rows(n: int):
    warehouse = WarehouseFactory(code=f"W{StockLevel.objects.count()}")
    supplier = SupplierFactory()
    for _ in range(n):
        product = ProductFactory()
        bin_location = BinLocation.objects.create(warehouse=warehouse, code=f"B-{product.pk}")
        stock_receive(product=product, warehouse=warehouse, quantity=3, bin_location=bin_location)
        stock_allocate_order(order=order_row(lines=[(product, 1)]))
        purchase_order = purchase_order_sent(warehouse=warehouse, lines=[(product, 2)], supplier=supplier)
        purchase_order_receive(purchase_order=purchase_order, quantities={purchase_order.lines.get().pk: 1})


@pytest.mark.parametrize(
    "page",
    [
        "product_changelist",
        "warehouse_changelist",
        "binlocation_changelist",
        "stocklevel_changelist",
        "stockmovement_changelist",
        "purchaseorder_changelist",
        "supplier_changelist",
        "stocklevel_replenishment",
    ],
)
def test_query_count_does_not_grow_with_rows(admin_client, page):
    def count():
        admin_client.get(url(page))  # warm the session and content types
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(url(page) + ("?all=1" if page.endswith("replenishment") else ""))
        assert response.status_code == 200
        return len(queries)

    _rows(4)
    few = count()
    _rows(8)
    many = count()
    assert few == many, f"{page}: {few} queries with 4 rows of each, {many} with 12"
