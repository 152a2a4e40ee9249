"""The staff timeline in sentences (orders.timeline): a phrase per kind, never a code."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from orders import timeline
from orders.models import Order, OrderEvent
from orders.timeline import PHRASES, Parcel, TimelineContext, event_sentence, timeline_entries

Kind = OrderEvent.Kind
CONTEXT = TimelineContext(
    customer_name="Anna de Vries",
    currency="EUR",
    parcels={11: Parcel(number="100001-1", position=1, warehouse="AMS"), 12: Parcel("100001-2", 2, "RTM")},
    invoices={21: "INV-2026-000001"},
    payments={31: Decimal("1592.30")},
)
WAREHOUSE = User(pk=1, username="warehouse")
CUSTOMER_SERVICE = User(pk=2, username="customer_service")
ANNA_STAFF = User(pk=3, username="ajansen", first_name="Anna", last_name="Jansen")


def event(kind, *, actor=None, actor_label="", object_type="order", object_id=None, note="", data=None, **fields):
    made = OrderEvent(
        kind=kind,
        actor_label=actor_label or (actor.get_username() if actor else "system"),
        object_type=object_type,
        object_id=object_id,
        note=note,
        data=data or {},
        **fields,
    )
    if actor is not None:
        made.actor = actor
    return made


def sentence(kind, **fields) -> str:
    return event_sentence(event(kind, **fields), context=CONTEXT)


def test_every_kind_has_a_phrase():
    assert set(Kind.values) - set(PHRASES) == set()


@pytest.mark.parametrize("kind", Kind.values)
def test_every_kind_reads_as_a_sentence_without_its_code(kind):
    text = sentence(kind, actor=WAREHOUSE, object_type=kind.split(".")[0], object_id=11, note="A note.")

    assert text.startswith("Warehouse ")
    assert text.endswith(".")
    assert kind not in text
    assert "{" not in text and "}" not in text


def test_the_customer_placing_the_order_on_the_web_shop():
    placed = sentence(Kind.ORDER_PLACE, actor_label="web", data={"channel": "web", "total": "32.70"})
    assert placed == "Anna de Vries placed the order on the web shop."


def test_staff_placing_an_order_by_phone_for_the_customer():
    placed = sentence(Kind.ORDER_PLACE, actor=CUSTOMER_SERVICE, data={"channel": "phone"})
    assert placed == "Customer service placed the order by phone for Anna de Vries."


def test_the_warehouse_picking_and_packing_a_parcel_at_its_warehouse():
    picking = sentence(Kind.SHIPMENT_START_PICKING, actor=WAREHOUSE, object_type="shipment", object_id=12)
    packed = sentence(Kind.SHIPMENT_PACK, actor=WAREHOUSE, object_type="shipment", object_id=11)
    assert picking == "Warehouse started picking parcel 2 at RTM."
    assert packed == "Warehouse packed parcel 1 at AMS."


def test_a_dispatch_names_the_carrier_and_tracking_number():
    text = sentence(
        Kind.SHIPMENT_DISPATCH,
        actor=WAREHOUSE,
        object_type="shipment",
        object_id=11,
        data={"carrier": "PostNL", "tracking_number": "3S000001"},
    )
    assert text == "Warehouse handed parcel 1 to the carrier (PostNL), tracking number 3S000001."


def test_the_system_putting_the_order_on_hold_gives_the_reason():
    text = sentence(
        Kind.ORDER_HOLD,
        actor_label="verification",
        note="customer: delivery postal code '12' does not look like one from NL.",
        data={"reasons": ["customer: delivery postal code '12' does not look like one from NL"]},
    )
    assert text == (
        "System put the order on hold: delivery postal code '12' does not look like one from NL (customer check)."
    )


def test_money_is_written_the_one_way():
    recorded = sentence(Kind.PAYMENT_CAPTURE, actor=CUSTOMER_SERVICE, object_type="payment", object_id=31)
    issued = sentence(
        Kind.INVOICE_ISSUE,
        actor=WAREHOUSE,
        object_type="invoice",
        object_id=21,
        data={"number": "INV-2026-000001", "total": "1592.30"},
    )
    assert recorded == "Customer service recorded a payment of €\u00a01,592.30."
    assert issued == "Warehouse issued invoice INV-2026-000001 of €\u00a01,592.30."


def test_the_payment_gateway_and_a_staff_members_full_name():
    authorised = sentence(Kind.PAYMENT_AUTHORIZE, actor_label="payment gateway", data={"amount": "10.00"})
    cancelled = sentence(Kind.ORDER_CANCEL, actor=ANNA_STAFF, note="Customer phoned: ordered twice.")
    assert authorised == "The payment gateway authorised a card payment of €\u00a010.00."
    assert cancelled == "Anna Jansen cancelled the order: Customer phoned: ordered twice."


def test_a_staff_comment_shows_its_text_under_the_sentence():
    (entry,) = timeline_entries(
        [event(Kind.ORDER_STAFF_COMMENT, actor=ANNA_STAFF, note="Customer asked to ring before delivery.")],
        context=CONTEXT,
    )
    assert entry.sentence == "Anna Jansen commented."
    assert entry.note == "Customer asked to ring before delivery."
    assert entry.is_comment and not entry.customer_visible


def test_a_note_already_in_the_sentence_is_not_repeated_under_it():
    held, verified = timeline_entries(
        [
            event(Kind.ORDER_HOLD, actor_label="verification", note="risk: large order.", data={}),
            event(Kind.ORDER_VERIFY, actor_label="verification", note="All checks passed."),
        ],
        context=CONTEXT,
    )
    assert held.sentence == "System put the order on hold: risk: large order." and held.note == ""
    assert verified.sentence == "System verified the order." and verified.note == "All checks passed."


def test_details_name_the_states_and_the_check_results_in_words():
    (entry,) = timeline_entries(
        [
            event(
                Kind.ORDER_VERIFY,
                actor_label="verification",
                from_state=Order.Status.ON_HOLD,
                to_state=Order.Status.VERIFIED,
                data={
                    "checks": [{"name": "customer", "result": "passed", "detail": "E-mail and addresses look complete"}]
                },
            )
        ],
        context=CONTEXT,
    )
    assert entry.details == (
        ("state", "On hold → Verified"),
        ("checks", "customer passed: E-mail and addresses look complete"),
    )


def test_a_kind_without_its_phrase_reads_from_its_label_never_its_code(monkeypatch):
    monkeypatch.delitem(timeline.PHRASES, Kind.ORDER_VERIFY)

    known = sentence(Kind.ORDER_VERIFY, actor_label="verification")
    unknown = sentence("order.something_new", actor_label="verification")

    assert known == "System recorded: order verified."
    assert unknown == "System recorded: an event."
