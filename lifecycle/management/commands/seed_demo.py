"""Demo data for `make run`: catalogue, stock, staff and customer accounts, and orders in every state.

Safe to run again: existing rows are kept, and demo orders are only created once.
"""

import hashlib
from datetime import timedelta
from decimal import Decimal

from django.apps import apps as django_apps
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from inventory.models import BinLocation, Category, Product, StockLevel, TaxClass, Warehouse
from invoicing.services import store_credit_issue
from lifecycle.cancellation import order_cancel
from lifecycle.checkout import order_checkout
from lifecycle.credit_notes import credit_note_issue
from lifecycle.delivery import shipment_deliver
from lifecycle.quotes import order_desk_place
from lifecycle.receiving import stock_receive
from lifecycle.settlement import payment_record
from orders.models import (
    Address,
    Customer,
    DeliveryMethod,
    Order,
    RiskRules,
    ShippingZone,
    Voucher,
    WeightBand,
    WorkItem,
)
from orders.services.fulfillment import (
    order_fulfillment_start,
    shipment_dispatch,
    shipment_pack,
    shipment_start_picking,
)
from orders.services.packing import shipment_scan
from orders.services.picking import pick_batch_create
from orders.services.placement import AddressData, LineRequest
from orders.services.quotes import QuoteRequest, quote_save_draft, quote_send
from orders.services.return_requests import return_request_authorise, return_request_create
from orders.services.transitions import transition_run
from orders.services.work_items import work_item_finish
from orders_site.core.staff_groups import staff_groups_apply

from ..demo_history import ORDERS as HISTORY_ORDERS
from ..demo_history import history_seed

ACCOUNTS = [
    # username, password, group, superuser
    ("admin", "admin", None, True),
    ("warehouse", "warehouse", "Warehouse", False),
    ("service", "service", "Customer service", False),
    ("manager", "manager", "Managers", False),
]
CUSTOMER_EMAIL = "customer@example.com"
CUSTOMER_PASSWORD = "customer"

PRODUCTS = [
    # sku, name, category, price, tax, kind, backorderable, stock AMS, stock RTM, bin
    ("CHAIR-OAK", "Oak dining chair", "furniture", "149.00", "Standard", "physical", False, 24, 6, "A-01-1"),
    ("TABLE-OAK", "Oak dining table", "furniture", "689.00", "Standard", "physical", True, 3, 0, "A-02-1"),
    ("DESK-WALNUT", "Walnut writing desk", "furniture", "845.00", "Standard", "physical", True, 0, 0, "A-03-1"),
    ("STOOL-BIRCH", "Birch bar stool", "furniture", "89.00", "Standard", "physical", False, 2, 0, "A-04-2"),
    ("LAMP-DESK", "Brass desk lamp", "lighting", "39.95", "Standard", "physical", False, 12, 15, "B-01-1"),
    ("LAMP-FLOOR", "Linen floor lamp", "lighting", "119.00", "Standard", "physical", False, 0, 8, "B-02-3"),
    ("BULB-LED", "LED bulb E27 warm white", "lighting", "6.50", "Standard", "physical", False, 200, 150, "B-05-1"),
    ("BOOK-JOINERY", "The joinery handbook", "books", "34.50", "Reduced", "physical", False, 18, 4, "C-01-1"),
    ("BOOK-FINISH", "Finishing wood, a guide", "books", "24.00", "Reduced", "physical", True, 1, 0, "C-01-2"),
    ("OIL-HARDWAX", "Hardwax oil 750 ml", "care", "27.90", "Standard", "physical", False, 40, 0, "D-02-1"),
    ("SVC-ASSEMBLY", "Assembly at your home", "services", "45.00", "Standard", "service", False, 0, 0, ""),
    ("SVC-ENGRAVE", "Engraving (up to 20 letters)", "services", "15.00", "Standard", "service", False, 0, 0, ""),
]
CATEGORIES = {
    "furniture": "Furniture",
    "lighting": "Lighting",
    "books": "Books",
    "care": "Wood care",
    "services": "Services",
}


def ean13_check_digit(first_twelve: str) -> str:
    """The EAN-13 check digit: digits weighted 1, 3, 1, 3... from the left, to the next multiple of 10."""
    total = sum(int(digit) * (3 if position % 2 else 1) for position, digit in enumerate(first_twelve))
    return str((10 - total % 10) % 10)


def demo_barcode(sku: str) -> str:
    """A stable EAN-13 for a demo SKU (the same in every process and every run, unlike hash()):
    prefix 87 (the Netherlands), ten digits from the SKU's SHA-256, and the check digit."""
    digits = f"87{int(hashlib.sha256(sku.encode()).hexdigest(), 16) % 10**10:010d}"
    return digits + ean13_check_digit(digits)


class Command(BaseCommand):
    help = "Create demo catalogue, stock, accounts and orders (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--history",
            type=int,
            default=HISTORY_ORDERS,
            help=f"orders of demo history over 90 days, for the dashboard (default {HISTORY_ORDERS}; 0: none)",
        )

    def handle(self, *args, history=HISTORY_ORDERS, **options):
        with transaction.atomic():
            catalogue = self._catalogue()
            self._accounts()
            customer = self._customer()
        if not Order.objects.filter(customer=customer).exists():
            # One demo customer places all sixteen demo orders within a minute; let the velocity
            # rule allow that (the merchant's real threshold is set in the admin's risk rules).
            rules = RiskRules.current()
            rules.velocity_max_orders = max(rules.velocity_max_orders, 30)
            rules.save()
            # Demo customers have no real inbox: the outbox rows are kept, the e-mails are not printed.
            # All or nothing, so a failure halfway never leaves demo data a rerun would not finish.
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
                with transaction.atomic():
                    self._orders(customer, catalogue)
            self.stdout.write("Demo orders created.")
        if history and not Order.objects.filter(customer__email__startswith="history").exists():
            # Ninety days of orders for the manager's dashboard (lifecycle/management/demo_history.py).
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
                with transaction.atomic():
                    made = history_seed(
                        products={p.sku: p for p in Product.objects.all()},
                        warehouse=Warehouse.objects.get(code="AMS"),
                        actor=User.objects.get(username="admin"),
                        orders=history,
                    )
            self.stdout.write(f"Demo history created: {made} orders over the last 90 days.")
        self._print_credentials()

    def _catalogue(self) -> dict:
        taxes = {
            "Standard": TaxClass.objects.get_or_create(name="Standard", defaults={"rate": Decimal("0.21")})[0],
            "Reduced": TaxClass.objects.get_or_create(name="Reduced", defaults={"rate": Decimal("0.09")})[0],
        }
        categories = {
            slug: Category.objects.get_or_create(slug=slug, defaults={"name": name})[0]
            for slug, name in CATEGORIES.items()
        }
        ams = Warehouse.objects.get_or_create(code="AMS", defaults={"name": "Amsterdam", "priority": 1})[0]
        rtm = Warehouse.objects.get_or_create(code="RTM", defaults={"name": "Rotterdam", "priority": 2})[0]
        products = {}
        for sku, name, cat, price, tax, kind, backorderable, ams_qty, rtm_qty, bin_code in PRODUCTS:
            product, created = Product.objects.get_or_create(
                sku=sku,
                defaults={
                    "name": name,
                    "slug": sku.lower(),
                    "category": categories[cat],
                    "price": Decimal(price),
                    "tax_class": taxes[tax],
                    "kind": kind,
                    "is_backorderable": backorderable,
                    "description": f"{name}. Made to last, shipped from our own warehouses.",
                    "weight_grams": 0 if kind == "service" else 1500,
                    "barcode": "" if kind == "service" else demo_barcode(sku),
                },
            )
            stable = "" if kind == "service" else demo_barcode(sku)
            if product.barcode != stable:  # seeded before the barcodes were stable: give it its own
                Product.objects.filter(pk=product.pk).update(barcode=stable)
                product.barcode = stable
            products[sku] = product
            if not created or kind == "service":
                continue
            for warehouse, quantity in ((ams, ams_qty), (rtm, rtm_qty)):
                bin_location = BinLocation.objects.get_or_create(
                    warehouse=warehouse,
                    code=bin_code,
                    defaults={"walk_order": int(bin_code[2:4]) + ord(bin_code[0]) * 100},
                )[0]
                level, _ = StockLevel.objects.get_or_create(
                    product=product,
                    warehouse=warehouse,
                    defaults={"bin_location": bin_location, "reorder_point": 5, "reorder_quantity": 20},
                )
                if quantity:
                    stock_receive(product=product, warehouse=warehouse, quantity=quantity, reference="opening stock")
        eu, _ = ShippingZone.objects.get_or_create(
            name="EU",
            defaults={
                "countries": sorted(
                    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
                )
            },
        )
        domestic, _ = ShippingZone.objects.get_or_create(name="Netherlands", defaults={"countries": ["NL"]})
        bands = {
            "standard": [(2000, "4.95"), (10000, "7.95"), (30000, "12.95")],
            "international": [(2000, "14.95"), (10000, "24.95"), (30000, "39.95")],
        }
        for code, name, kind, fee, free_above, zones, lo, hi, pickup, order in (
            ("standard", "Standard delivery", "bands", "4.95", "50.00", [eu], 1, 3, False, 1),
            ("express", "Express, next day", "flat", "9.95", None, [domestic], 1, 1, False, 2),
            ("international", "International", "bands", "0.00", None, [], 4, 10, False, 3),
            ("pickup", "Pick up in Amsterdam", "flat", "0.00", None, [], 0, 1, True, 4),
        ):
            method, created = DeliveryMethod.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "rate_kind": kind,
                    "fee": Decimal(fee),
                    "free_above": Decimal(free_above) if free_above else None,
                    "tax_rate": Decimal("0.21"),
                    "min_days": lo,
                    "max_days": hi,
                    "is_pickup": pickup,
                    "sort_order": order,
                },
            )
            if created:
                method.zones.set(zones)
                WeightBand.objects.bulk_create(
                    WeightBand(method=method, up_to_grams=up_to, fee=Decimal(band_fee))
                    for up_to, band_fee in bands.get(code, [])
                )
        Voucher.objects.get_or_create(code="WELCOME10", defaults={"percent_off": Decimal("10")})
        Voucher.objects.get_or_create(
            code="TENOFF",
            defaults={
                "kind": Voucher.Kind.FIXED_AMOUNT,
                "amount_off": Decimal("10.00"),
                "minimum_order": Decimal("50.00"),
                "per_customer_limit": 1,
            },
        )
        Voucher.objects.get_or_create(
            code="FREESHIP", defaults={"kind": Voucher.Kind.FREE_SHIPPING, "minimum_order": Decimal("75.00")}
        )
        lighting, created = Voucher.objects.get_or_create(
            code="LIGHT15", defaults={"percent_off": Decimal("15"), "usage_limit": 100}
        )
        if created:
            lighting.categories.add(Category.objects.get(slug="lighting"))
        return products

    def _accounts(self) -> None:
        # The staff groups as the migrations make them (idempotent): a database whose groups were
        # removed since (a test's flush, a manager's cleanup) gets them back before the demo staff join.
        staff_groups_apply(django_apps)
        for username, password, group_name, superuser in ACCOUNTS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"is_staff": True, "is_superuser": superuser, "email": f"{username}@example.com"},
            )
            if created:
                user.set_password(password)
                user.save()
            if group_name:
                user.groups.add(Group.objects.get(name=group_name))

    def _customer(self) -> Customer:
        user, created = User.objects.get_or_create(
            username=CUSTOMER_EMAIL, defaults={"email": CUSTOMER_EMAIL, "first_name": "Anna", "last_name": "de Vries"}
        )
        if created:
            user.set_password(CUSTOMER_PASSWORD)
            user.save()
        customer, _ = Customer.objects.get_or_create(
            user=user, defaults={"email": CUSTOMER_EMAIL, "full_name": "Anna de Vries", "phone": "+31 20 555 0101"}
        )
        Address.objects.get_or_create(
            customer=customer,
            line1="Prinsengracht 263",
            defaults={"full_name": "Anna de Vries", "postal_code": "1016 GV", "city": "Amsterdam", "country": "NL"},
        )
        return customer

    def _orders(self, customer: Customer, products: dict) -> None:
        home = AddressData(
            full_name="Anna de Vries", line1="Prinsengracht 263", postal_code="1016 GV", city="Amsterdam", country="NL"
        )
        standard = DeliveryMethod.objects.get(code="standard")
        admin = User.objects.get(username="admin")

        def place(lines, *, address=home, payment="bank_transfer", channel="web"):
            return order_checkout(
                customer=customer,
                channel=channel,
                delivery_method=standard,
                payment_method=payment,
                billing_address=address,
                shipping_address=address,
                lines=[LineRequest(product_id=products[sku].pk, quantity=q) for sku, q in lines],
                card_token="4242 4242 4242 4242",
            )

        def pack(shipment):
            """At the packing table: the work items done, every unit scanned, then packed."""
            shipment = shipment_start_picking(shipment=shipment, actor=admin)
            for work_item in WorkItem.objects.filter(shipment_line__shipment=shipment).order_by("pk"):
                work_item_finish(work_item=work_item, actor=admin)
            for line in shipment.lines.select_related("order_line__product"):
                if line.order_line.kind != "service":
                    code = line.order_line.product.barcode or line.order_line.sku
                    shipment_scan(shipment=shipment, code=code, count=line.quantity, actor=admin)
            return shipment_pack(shipment=shipment, actor=admin)

        def ship_all(order, deliver=False):
            order = order_fulfillment_start(order=order, actor=admin)
            for shipment in order.shipments.all():
                shipment = pack(shipment)
                shipment = shipment_dispatch(
                    shipment=shipment,
                    carrier="PostNL",
                    service="Parcel",
                    tracking_number=f"3SDEMO{shipment.pk:07d}",
                    tracking_url="https://tracking.example.com/3SDEMO",
                    actor=admin,
                )
                if deliver:
                    shipment_deliver(shipment=shipment, actor=admin)
            return order

        place([("BULB-LED", 4)])  # verified
        place([("LAMP-DESK", 1)], address=AddressData(**{**home.__dict__, "postal_code": "ABC"}))  # on hold
        place([("DESK-WALNUT", 1)])  # back-ordered
        order_fulfillment_start(order=place([("CHAIR-OAK", 4)]), actor=admin)  # in fulfilment
        split = order_fulfillment_start(order=place([("LAMP-FLOOR", 1), ("CHAIR-OAK", 8)]), actor=admin)
        first = split.shipments.order_by("pk").first()  # partially shipped
        first = pack(first)
        shipment_dispatch(shipment=first, carrier="DHL", tracking_number="JD0142", actor=admin)
        # The warehouse's queues: two Amsterdam parcels picked together in an open batch (to pack),
        # one packed (to ship); the two above wait to be picked.
        batched = [
            order_fulfillment_start(order=place(lines), actor=admin).shipments.get()
            for lines in ([("BULB-LED", 6), ("LAMP-DESK", 1)], [("CHAIR-OAK", 2), ("BULB-LED", 2)])
        ]
        pick_batch_create(shipments=batched, actor=admin)
        packed = order_fulfillment_start(order=place([("OIL-HARDWAX", 1)]), actor=admin).shipments.get()
        pack(packed)
        # Ready to pack: being picked, nothing scanned yet, and its engraving still to do (a work item).
        to_pack = order_fulfillment_start(
            order=place([("LAMP-DESK", 2), ("BULB-LED", 3), ("SVC-ENGRAVE", 1)]), actor=admin
        )
        shipment_start_picking(shipment=to_pack.shipments.get(), actor=admin)
        ship_all(place([("BOOK-JOINERY", 1), ("OIL-HARDWAX", 2)]))  # shipped
        credited = ship_all(place([("LAMP-DESK", 2), ("SVC-ENGRAVE", 1)]), deliver=True)  # invoiced
        lamps = credited.invoices.get()
        credit_note_issue(  # one lamp arrived broken: a credit note, the invoice owes less
            invoice=lamps, units={lamps.lines.get(sku="LAMP-DESK").pk: 1}, reason="One lamp arrived broken", actor=admin
        )
        ship_all(place([("CHAIR-OAK", 1)], payment="card"), deliver=True)  # completed (card captured)
        # A return: two chairs paid by card, one sent back and authorised (on its way back), and
        # store credit given for the wait
        returned = ship_all(place([("CHAIR-OAK", 2)], payment="card"), deliver=True)
        return_request_authorise(
            return_request=return_request_create(
                order=returned,
                units={returned.lines.get().pk: 1},
                reason="damaged",
                comment="A scratch on the seat",
                actor=customer.user,
            ),
            actor=admin,
        )
        store_credit_issue(
            customer=customer, amount=Decimal("10.00"), reason="Sorry for the scratched chair", actor=admin
        )
        partial = ship_all(place([("TABLE-OAK", 1), ("SVC-ASSEMBLY", 1)]), deliver=True)
        invoice = partial.invoices.get()
        payment_record(
            invoice=invoice, amount=Decimal("300.00"), method="bank_transfer", reference="NL12BANK", actor=admin
        )  # invoiced, partially paid
        order_cancel(order=place([("STOOL-BIRCH", 1)]), actor=admin, reason="Customer changed their mind")
        placed = Order.objects.create(
            number="PLACED-DEMO",
            customer=customer,
            email=customer.email,
            channel=Order.Channel.EMAIL,
            delivery_method=standard,
            delivery_method_name=standard.name,
            payment_method="bank_transfer",
            billing_address=Address.objects.create(**home.__dict__),
        )
        transition_run(model=Order, pk=placed.pk, transition="place", system="demo seed")  # awaiting verification
        self._order_desk(customer, products, home, standard)

    def _order_desk(self, customer: Customer, products: dict, home: AddressData, standard: DeliveryMethod) -> None:
        """What customer service entered at the order desk: a phone order, and a quote still open."""
        service = User.objects.get(username="service")

        def lines(*wanted):
            return [LineRequest(product_id=products[sku].pk, quantity=q, customisation_notes=n) for sku, q, n in wanted]

        order_desk_place(  # verified, channel phone, placed by the "service" account
            request=QuoteRequest(
                customer=customer,
                lines=lines(("LAMP-DESK", 1, ""), ("SVC-ENGRAVE", 1, "Engrave “For Anna” on the base")),
                channel=Order.Channel.PHONE,
                delivery_method=standard,
                payment_method=Order.PaymentMethod.BANK_TRANSFER,
                billing_address=home,
                shipping_address=home,
            ),
            actor=service,
            idempotency_key="demo-phone-order",
        )
        # An account customer: a joinery with a VAT number (its invoices go out as Factur-X), paying
        # on invoice at end of month + 30 days, and its phone order
        joinery, _ = Customer.objects.get_or_create(
            email="inkoop@timmerwerk.example",
            defaults={
                "full_name": "Joris de Vries",
                "company": "Timmerwerk De Vries B.V.",
                "payment_terms": Customer.PaymentTerms.END_OF_MONTH,
                "net_days": 30,
                "vat_number": "NL004495445B01",
            },
        )
        order_desk_place(
            request=QuoteRequest(
                customer=joinery,
                lines=lines(("CHAIR-OAK", 4, "")),
                channel=Order.Channel.PHONE,
                delivery_method=standard,
                payment_method=Order.PaymentMethod.ON_INVOICE,
                billing_address=home,
                shipping_address=home,
            ),
            actor=service,
            idempotency_key="demo-account-order",
        )
        quote_save_draft(  # a draft: started by customer service on the phone, nothing reserved yet
            request=QuoteRequest(
                customer=customer,
                lines=lines(("LAMP-FLOOR", 2, "")),
                channel=Order.Channel.PHONE,
                delivery_method=standard,
                billing_address=home,
                shipping_address=home,
            ),
            actor=service,
            idempotency_key="demo-draft",
        )
        quote_send(  # an open quote, sent by e-mail, prices held for two weeks
            request=QuoteRequest(
                customer=customer,
                lines=lines(("TABLE-OAK", 1, ""), ("CHAIR-OAK", 6, ""), ("SVC-ASSEMBLY", 1, "")),
                channel=Order.Channel.EMAIL,
                delivery_method=standard,
                payment_method=Order.PaymentMethod.BANK_TRANSFER,
                billing_address=home,
                shipping_address=home,
                received_message="Hello, could you quote an oak table with six chairs, assembled at home? Anna",
            ),
            actor=service,
            valid_until=timezone.localdate() + timedelta(days=14),
            idempotency_key="demo-open-quote",
        )

    def _print_credentials(self) -> None:
        self.stdout.write(self.style.SUCCESS("Demo accounts (username / password):"))
        for username, password, group_name, superuser in ACCOUNTS:
            role = "superuser" if superuser else group_name
            self.stdout.write(f"  admin console  {username} / {password}  ({role})")
        self.stdout.write(f"  storefront     {CUSTOMER_EMAIL} / {CUSTOMER_PASSWORD}  (customer)")
