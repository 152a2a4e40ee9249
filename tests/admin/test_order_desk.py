"""The order desk over HTTP, as customer service uses it (orders/admin/order_desk.py): a phone
order for a new customer, drafts and quotes, the quote accepted from the e-mailed link, double
submits, permissions, the JSON look-ups, and query counts that stay flat in rows."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inventory.models import Product, StockLevel
from invoicing.models import Payment, StoreCreditAccount
from invoicing.services import store_credit_issue
from orders.models import Customer, EmailNotification, Order, OrderEvent, Quote, Voucher
from orders.selectors import customer_matches, product_matches
from tests.builders import customer_build, delivery_method_build, product_build, stock_put

from .journeys import errors_in, place, successes_in

pytestmark = pytest.mark.django_db

DESK = "/admin/orders/quote/desk/"


@pytest.fixture
def clerk(staff_client):
    return staff_client("Customer service")


@pytest.fixture
def standard(db):
    return delivery_method_build()


def page_key(response) -> str:
    return re.search(r'name="idempotency_key" value="([0-9a-f]+)"', response.content.decode()).group(1)


def phone_order_form(catalogue, standard, key, **overrides) -> dict:
    """The desk form as a clerk fills it for Jan Jansen's phone order: two chairs engraved, a lamp."""
    form = {
        "idempotency_key": key,
        "channel": "phone",
        "new_full_name": "Jan Jansen",
        "new_email": "jan@example.com",
        "new_phone": "+31 6 1234 5678",
        "billing-full_name": "Jan Jansen",
        "billing-line1": "Keizersgracht 1",
        "billing-postal_code": "1015 CJ",
        "billing-city": "Amsterdam",
        "billing-country": "NL",
        "ship_same": "on",
        "line_product": [str(catalogue.chair.pk), str(catalogue.lamp.pk)],
        "line_quantity": ["2", "1"],
        "line_notes": ["Engrave J.J. on the back", ""],
        "delivery_method": str(standard.pk),
        "payment_method": "bank_transfer",
        "add_quantity": "1",
    }
    form.update(overrides)
    return form


def test_the_order_changelist_add_button_leads_to_the_desk(clerk):
    changelist = clerk.get(reverse("admin:orders_order_changelist"))
    assert reverse("admin:orders_order_add") in changelist.content.decode()

    response = clerk.get(reverse("admin:orders_order_add"))

    assert response.status_code == 302 and response["Location"] == DESK
    page = clerk.get(DESK)
    assert page.status_code == 200
    assert "New order" in page.content.decode()


def test_a_phone_order_for_a_new_customer_with_two_lines_and_a_customisation(catalogue, standard, clerk, staff_users):
    key = page_key(clerk.get(DESK))

    response = clerk.post(DESK, phone_order_form(catalogue, standard, key, place_order="1"))

    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:orders_order_change", args=[order.pk])
    assert (order.status, order.channel) == (Order.Status.VERIFIED, Order.Channel.PHONE)
    assert order.placed_by == staff_users["Customer service"]
    assert order.customer.email == "jan@example.com"
    assert [(line.sku, line.quantity, line.customisation_notes) for line in order.lines.order_by("pk")] == [
        ("CHAIR-1", 2, "Engrave J.J. on the back"),
        ("LAMP-1", 1, ""),
    ]
    assert order.total == Decimal("414.91")
    placed = order.events.get(kind=OrderEvent.Kind.ORDER_PLACE)
    assert (placed.actor, placed.data["channel"]) == (staff_users["Customer service"], "phone")
    assert successes_in(clerk.get(response["Location"]))[0].startswith(f"Order {order.number} placed for Jan Jansen")


def test_a_double_submit_of_the_desk_form_makes_one_order(catalogue, standard, clerk):
    form = phone_order_form(catalogue, standard, page_key(clerk.get(DESK)), place_order="1")

    first = clerk.post(DESK, form)
    second = clerk.post(DESK, form)

    assert Order.objects.count() == 1
    assert Customer.objects.filter(email="jan@example.com").count() == 1
    assert first["Location"] == second["Location"]


def test_posted_prices_and_totals_are_ignored(catalogue, standard, clerk):
    form = phone_order_form(
        catalogue, standard, page_key(clerk.get(DESK)), place_order="1", unit_price="0.01", total="0.01"
    )
    clerk.post(DESK, form)

    assert Order.objects.get().total == Decimal("414.91")


def test_without_javascript_add_line_by_sku_and_recalculate_show_availability_and_totals(catalogue, standard, clerk):
    key = page_key(clerk.get(DESK))
    form = phone_order_form(catalogue, standard, key, line_product=[], line_quantity=[], line_notes=[])

    added = clerk.post(DESK, {**form, "add_term": "chair-1", "add_quantity": "3", "add_line": "1"})

    text = added.content.decode()
    assert added.status_code == 200
    assert [(line.product.sku, line.quantity) for line in added.context["pricing"].lines] == [("CHAIR-1", 3)]
    assert "AMS 10" in text  # ten chairs available in Amsterdam
    assert "€\xa0546.86" in text  # 3 x 149.00 + 93.87 VAT, and 4.95 delivery + 1.04 VAT
    assert Order.objects.count() == 0 and Quote.objects.count() == 0


def test_an_unknown_sku_is_refused_beside_the_field(catalogue, standard, clerk):
    form = phone_order_form(catalogue, standard, page_key(clerk.get(DESK)))

    response = clerk.post(DESK, {**form, "add_term": "NO-SUCH", "add_line": "1"})

    assert response.status_code == 200
    assert "No product has this SKU or barcode" in response.content.decode()


def test_finding_a_customer_by_phone_and_choosing_them_fills_the_invoice_address(catalogue, standard, clerk):
    known = customer_build(full_name="Piet Smit", email="piet@example.com", phone="+31 20 777 1234")
    known.addresses.create(
        full_name="Piet Smit", line1="Damrak 1", postal_code="1012 LG", city="Amsterdam", country="NL"
    )
    form = {"idempotency_key": page_key(clerk.get(DESK)), "channel": "phone", "add_quantity": "1"}

    found = clerk.post(DESK, {**form, "customer_q": "+31 20 777", "find_customer": "1"})
    chosen = clerk.post(DESK, {**form, "customer_id": str(known.pk)})

    assert "piet@example.com" in found.content.decode()
    assert chosen.context["customer"] == known
    assert 'value="Damrak 1"' in chosen.content.decode()


def test_a_bad_post_is_answered_beside_the_fields_never_a_500(catalogue, standard, clerk):
    form = phone_order_form(
        catalogue,
        standard,
        page_key(clerk.get(DESK)),
        place_order="1",
        line_product=["abc", str(catalogue.chair.pk)],
        line_quantity=["1", "-4"],
        delivery_method="999999",
        requested_delivery_date="31/31/2020",
    )

    response = clerk.post(DESK, form)

    assert response.status_code == 200
    assert Order.objects.count() == 0
    assert errors_in(response) or "errornote" in response.content.decode()


def test_save_draft_reserves_nothing_and_reopens_at_the_desk(catalogue, standard, clerk):
    form = phone_order_form(catalogue, standard, page_key(clerk.get(DESK)), save_draft="1")

    response = clerk.post(DESK, form)
    clerk.post(DESK, form)  # a double click keeps one draft

    draft = Quote.objects.get()
    assert draft.status == Quote.Status.DRAFT
    assert response["Location"] == reverse("admin:orders_quote_desk_open", args=[draft.pk])
    assert StockLevel.objects.get(product=catalogue.chair, warehouse=catalogue.main).allocated == 0
    assert Order.objects.count() == 0
    page = clerk.get(response["Location"])
    assert [(line.product.sku, line.quantity) for line in page.context["pricing"].lines] == [
        ("CHAIR-1", 2),
        ("LAMP-1", 1),
    ]
    assert page.context["customer"].email == "jan@example.com"


def send_quote(clerk, catalogue, standard, **overrides) -> Quote:
    valid_until = (timezone.localdate() + timedelta(days=10)).isoformat()
    form = phone_order_form(
        catalogue, standard, page_key(clerk.get(DESK)), send_quote="1", valid_until=valid_until, **overrides
    )
    response = clerk.post(DESK, form)
    assert response.status_code == 302, errors_in(response) or response.content.decode()[:2000]
    return Quote.objects.get()


def link_in(message) -> str:
    return re.search(r"http://[^/\s]+(/quotes/\S+/)", message.body).group(1)


def test_a_quote_accepted_by_the_customer_from_the_emailed_link(
    catalogue, standard, clerk, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        quote = send_quote(clerk, catalogue, standard)
    [email] = mailoutbox
    assert email.attachments[0][0] == f"quote-{quote.number}.pdf"
    catalogue.chair.price = Decimal("199.00")  # dearer now; the quote holds 149.00
    catalogue.chair.save()
    customer = Client()

    page = customer.get(link_in(email))
    assert page.status_code == 200
    assert "€\xa0414.91" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        accepted = customer.post(link_in(email))

    order = Order.objects.get()
    assert accepted.status_code == 302
    assert (order.status, order.total, order.quote) == (Order.Status.VERIFIED, Decimal("414.91"), quote)
    assert order.lines.get(sku="CHAIR-1").unit_price == Decimal("149.00")
    assert f"it is your order <strong>{order.number}</strong>" in customer.get(link_in(email)).content.decode()
    assert mailoutbox[-1].subject == f"We received your order {order.number}"
    customer.post(link_in(email))  # pressed again: still one order
    assert Order.objects.count() == 1


def test_an_expired_quote_is_refused(catalogue, standard, clerk, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        quote = send_quote(clerk, catalogue, standard)
    Quote.objects.filter(pk=quote.pk).update(valid_until=timezone.localdate() - timedelta(days=1))
    customer = Client()

    page = customer.get(link_in(mailoutbox[0]))
    refused = customer.post(link_in(mailoutbox[0]))

    assert "can no longer be accepted" in page.content.decode()
    assert "Accept the quote" not in page.content.decode()
    assert refused.status_code == 200
    assert Order.objects.count() == 0


def test_a_tampered_link_is_refused(catalogue, standard, clerk, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        quote = send_quote(clerk, catalogue, standard)
    link = link_in(mailoutbox[0])
    token = link.split("/")[2]
    forged = token.replace(f"{quote.pk}:", f"{quote.pk + 1}:", 1)

    for bad in (f"/quotes/{forged}/", f"/quotes/{token[:-1]}x/", "/quotes/1/"):
        assert Client().get(bad).status_code == 404
        assert Client().post(bad).status_code == 404
    assert Order.objects.count() == 0


def test_staff_convert_a_sent_quote_at_its_held_prices(catalogue, standard, clerk):
    quote = send_quote(clerk, catalogue, standard)
    catalogue.chair.price = Decimal("199.00")
    catalogue.chair.save()

    response = clerk.post(reverse("admin:orders_quote_desk_open", args=[quote.pk]), {"accept_quote": "1"})

    order = Order.objects.get()
    assert response["Location"] == reverse("admin:orders_order_change", args=[order.pk])
    assert (order.total, order.status) == (Decimal("414.91"), Order.Status.VERIFIED)


def test_the_quote_pdf_can_be_read_by_staff(catalogue, standard, clerk):
    from tests.pdf_text import pdf_text

    quote = send_quote(clerk, catalogue, standard)

    response = clerk.get(reverse("admin:orders_quote_pdf", args=[quote.pk]))

    text = pdf_text(response.content)
    assert f"Quote {quote.number}" in text and "Valid until" in text and "€ 414.91" in text


def test_warehouse_staff_cannot_create_orders_or_quotes(catalogue, standard, staff_client):
    warehouse = staff_client("Warehouse")
    changelist = warehouse.get(reverse("admin:orders_order_changelist"))
    assert reverse("admin:orders_order_add") not in changelist.content.decode()

    assert warehouse.get(DESK).status_code == 403
    assert warehouse.post(DESK, phone_order_form(catalogue, standard, "a" * 32, place_order="1")).status_code == 403
    assert warehouse.get(reverse("admin:orders_quote_desk_products") + "?q=CH").status_code == 403
    assert warehouse.post(reverse("admin:orders_quote_desk_price"), {}).status_code == 403
    assert warehouse.get(reverse("admin:orders_quote_changelist")).status_code == 403
    assert Order.objects.count() == 0 and Quote.objects.count() == 0


def test_a_signed_out_visitor_is_sent_to_sign_in(catalogue):
    response = Client().get(DESK)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- the JSON endpoints ------------------------------------------------------------------------------


def test_product_lookup_by_sku_barcode_or_name_with_availability_per_warehouse(catalogue, clerk):
    catalogue.lamp.barcode = "8712345678906"
    catalogue.lamp.save()
    url = reverse("admin:orders_quote_desk_products")

    by_sku = clerk.get(url, {"q": "lamp-1"}).json()["products"]
    by_barcode = clerk.get(url, {"q": "8712345678906"}).json()["products"]
    by_name = clerk.get(url, {"q": "desk l"}).json()["products"]

    assert [p["sku"] for p in by_sku] == [p["sku"] for p in by_barcode] == [p["sku"] for p in by_name] == ["LAMP-1"]
    assert by_sku[0]["availability"] == [
        {"warehouse": "AMS", "name": "Amsterdam", "available": 5},
        {"warehouse": "RTM", "name": "Rotterdam", "available": 5},
    ]
    assert by_sku[0]["price"] == "€\xa039.95"


def test_customer_lookup_by_name_email_phone_or_company(clerk, db):
    customer_build(full_name="Piet Smit", email="p.smit@example.com", phone="020 555 1234", company="Smit BV")
    url = reverse("admin:orders_quote_desk_customers")

    for term in ("piet", "P.SMIT@", "020 555", "smit b"):
        assert [c["email"] for c in clerk.get(url, {"q": term}).json()["customers"]] == ["p.smit@example.com"], term


def test_price_endpoint_prices_on_the_server_and_answers_bad_input_with_a_problem(catalogue, standard, clerk):
    url = reverse("admin:orders_quote_desk_price")

    priced = clerk.post(
        url,
        {"line_product": [catalogue.chair.pk], "line_quantity": ["2"], "delivery_method": standard.pk, "total": "1"},
    ).json()

    assert priced["totals"]["total"] == "€\xa0366.57"  # 298.00 + 62.58 VAT + 4.95 + 1.04
    assert priced["lines"][0]["availability"][0] == {"warehouse": "AMS", "name": "Amsterdam", "available": 10}
    for bad in (
        {"line_product": ["x"], "line_quantity": ["1"]},
        {"line_product": [catalogue.chair.pk], "line_quantity": ["1"], "delivery_method": "abc"},
        {"discount_code": "A" * 41},
    ):
        response = clerk.post(url, bad)
        assert response.status_code == 400, bad
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == 400
    assert clerk.get(url).status_code == 405
    assert clerk.get(reverse("admin:orders_quote_desk_products"), {"q": "x" * 101}).status_code == 400


def test_price_endpoint_applies_a_voucher_as_placement_will_and_says_why_one_gives_nothing(catalogue, standard, clerk):
    Voucher.objects.create(code="SAVE10", percent_off=Decimal("10"))
    Voucher.objects.create(
        code="BIG", kind=Voucher.Kind.FIXED_AMOUNT, amount_off=Decimal("10"), minimum_order=Decimal("500.00")
    )
    Voucher.objects.create(code="ONCE", percent_off=Decimal("10"), per_customer_limit=1)
    Voucher.objects.create(code="OLD", percent_off=Decimal("10"), is_active=False)
    url = reverse("admin:orders_quote_desk_price")

    def price(code, **extra):
        data = {"line_product": [catalogue.chair.pk], "line_quantity": ["2"], "delivery_method": standard.pk}
        return clerk.post(url, {**data, "discount_code": code, **extra}).json()

    saved = price("save10")
    assert (saved["voucher"], saved["voucher_terms"], saved["problems"]) == ("SAVE10", "10\xa0% off", [])
    assert saved["totals"]["discount"] == "€\xa029.80"  # 10 % of 2 x 149.00
    short = price("BIG")
    assert short["totals"]["discount"] == "€\xa00.00"
    assert short["problems"] == [
        {
            "field": "discount_code",
            "message": "This discount code needs €\xa0500.00 of eligible items (excl. VAT); "
            "add €\xa0202.00 more to use it.",
        }
    ]
    assert price("OLD")["problems"][0]["message"] == "This discount code is not valid (any more)."
    customer = place(catalogue, discount_code="ONCE").customer
    assert price("ONCE")["problems"] == []  # no customer chosen yet
    used = price("ONCE", customer_id=customer.pk)
    assert used["voucher"] == "" and used["totals"]["discount"] == "€\xa00.00"
    assert used["problems"][0]["message"] == "You have already used this discount code."


# --- query counts, flat in rows --------------------------------------------------------------------


def queries(client, method, url, data=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, data or {})
    assert response.status_code in (200, 302)
    return len(captured)


def test_the_desk_page_and_its_lookups_run_as_many_queries_for_many_rows_as_for_one(catalogue, standard, clerk):
    products = [product_build(sku=f"CUP-{n:02d}", name=f"Cup {n}") for n in range(12)]
    for product in products:
        stock_put(product=product, warehouse=catalogue.main, quantity=3)
    for n in range(12):
        customer = customer_build(full_name=f"Kim {n:02d}", email=f"kim{n}@example.com")
        customer.addresses.create(full_name="Kim", line1="Dam 1", postal_code="1012 JS", city="Amsterdam", country="NL")
    key = page_key(clerk.get(DESK))

    def desk_with(count):
        return {
            "idempotency_key": key,
            "channel": "phone",
            "add_quantity": "1",
            "delivery_method": str(standard.pk),
            "line_product": [str(p.pk) for p in products[:count]],
            "line_quantity": ["1"] * count,
            "line_notes": [""] * count,
            "recalculate": "1",
        }

    one, many = queries(clerk, "post", DESK, desk_with(1)), queries(clerk, "post", DESK, desk_with(12))
    assert one == many, f"desk page: {one} queries for 1 line, {many} for 12"
    assert many <= 12
    price = reverse("admin:orders_quote_desk_price")
    one, many = queries(clerk, "post", price, desk_with(1)), queries(clerk, "post", price, desk_with(12))
    assert one == many <= 11  # + the delivery methods that apply, with their zones and weight bands
    lookup = reverse("admin:orders_quote_desk_products")
    one, many = queries(clerk, "get", lookup, {"q": "CUP-01"}), queries(clerk, "get", lookup, {"q": "CUP"})
    assert one == many <= 6
    lookup = reverse("admin:orders_quote_desk_customers")
    one, many = queries(clerk, "get", lookup, {"q": "kim1@"}), queries(clerk, "get", lookup, {"q": "Kim"})
    assert one == many <= 6


def test_the_quote_list_runs_as_many_queries_for_many_rows_as_for_few(catalogue, standard, clerk):
    url = reverse("admin:orders_quote_changelist")
    for n in range(3):
        clerk.post(
            DESK, phone_order_form(catalogue, standard, f"k{n}" * 8, new_email=f"a{n}@example.com", save_draft="1")
        )
    few = queries(clerk, "get", url)
    for n in range(3, 15):
        clerk.post(
            DESK, phone_order_form(catalogue, standard, f"k{n}" * 8, new_email=f"a{n}@example.com", save_draft="1")
        )
    assert Quote.objects.count() == 15
    assert queries(clerk, "get", url) == few


def test_the_quote_email_row_is_in_the_outbox_without_an_order(
    catalogue, standard, clerk, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        quote = send_quote(clerk, catalogue, standard)

    row = EmailNotification.objects.get()
    assert (row.kind, row.order, row.quote, row.status) == ("quote", None, quote, "sent")
    assert clerk.get(reverse("admin:orders_emailnotification_changelist")).status_code == 200


def _plan(queryset) -> str:
    """The plan PostgreSQL picks when it must use an index if any can serve the query."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.order_by().explain()
        transaction.set_rollback(True)
        return plan


@pytest.mark.postgres
def test_the_lookups_are_served_by_indexes_at_any_size(require_postgres, db):
    # A million customers or products: every branch of each look-up's OR is an index range scan.
    customers = _plan(Customer.objects.filter(customer_matches("020 5")))
    for index in ("customer_email_upper_idx", "customer_name_upper_idx", "customer_company_upper_idx"):
        assert index in customers, customers
    assert "customer_phone_upper_idx" in customers, customers
    assert "Seq Scan" not in customers
    products = _plan(Product.objects.filter(product_matches("CHAIR")))
    assert "product_sku_upper_idx" in products and "product_name_upper_idx" in products, products
    assert "inventory_product_barcode" in products and "Seq Scan" not in products, products


def test_the_desk_price_endpoint_prices_delivery_by_the_rules_and_offers_only_methods_that_apply(
    catalogue, standard, clerk
):
    # Given Express delivering only in the Netherlands, and Standard by weight
    from orders.models import DeliveryMethod, ShippingZone, WeightBand

    express = delivery_method_build(code="express", name="Express", fee=Decimal("9.95"))
    express.zones.add(ShippingZone.objects.create(name="Netherlands", countries=["NL"]))
    DeliveryMethod.objects.filter(pk=standard.pk).update(rate_kind=DeliveryMethod.RateKind.BANDS)
    WeightBand.objects.create(method=standard, up_to_grams=100_000, fee=Decimal("6.50"))
    price = reverse("admin:orders_quote_desk_price")
    key = page_key(clerk.get(DESK))

    # When the clerk prices the order for the Netherlands, then for Belgium with Express chosen
    nl = clerk.post(price, phone_order_form(catalogue, standard, key)).json()
    be = clerk.post(
        price,
        phone_order_form(catalogue, standard, key, **{"billing-country": "BE", "delivery_method": str(express.pk)}),
    ).json()

    # Then the fee is Standard's band fee; Belgium is not offered Express, and choosing it is a problem
    assert nl["totals"]["shipping"].replace("\xa0", " ").endswith("6.50")
    assert {m["id"] for m in nl["delivery_methods"]} == {standard.pk, express.pk}
    assert [m["id"] for m in be["delivery_methods"]] == [standard.pk]
    assert any(p["field"] == "delivery_method" and "Express does not deliver" in p["message"] for p in be["problems"])


def test_a_phone_order_paid_with_the_customers_store_credit_first(catalogue, standard, clerk, staff_users):
    customer = customer_build(email="jan@example.com", full_name="Jan Jansen")
    store_credit_issue(customer=customer, amount=Decimal("50.00"), reason="Exchange", actor=staff_users["Managers"])
    key = page_key(clerk.get(DESK))
    form = phone_order_form(
        catalogue, standard, key, place_order="1", use_store_credit="on", customer_id=str(customer.pk)
    )
    for name in ("new_full_name", "new_email", "new_phone"):
        form.pop(name)

    response = clerk.post(DESK, form)

    assert response.status_code == 302, errors_in(response) or response.context["form"].errors
    order = Order.objects.get()
    assert {p.method: p.amount for p in Payment.objects.filter(order=order)} == {"store_credit": Decimal("50.00")}
    assert StoreCreditAccount.objects.get(customer=customer).balance == 0

    # With the credit spent, asking for it again is refused beside the tick box
    again = clerk.post(DESK, {**form, "idempotency_key": page_key(clerk.get(DESK))})
    assert again.status_code == 200
    assert "used on another order" in again.context["form"].errors["use_store_credit"][0]
