import secrets
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from orders_site.core.countries import COUNTRY_NAMES, country_name
from orders_site.core.formatting import money_display, rate_display
from orders_site.core.indexes import UpperPrefixIndex
from orders_site.core.models import AppendOnlyModel, TimeStampedModel
from orders_site.core.permissions import staff_any_permission, staff_permission
from orders_site.core.vat import vat_number_compact, vat_number_validator

from . import pricing
from .permissions import can_cancel


class Customer(TimeStampedModel):
    class PaymentTerms(models.TextChoices):
        PREPAID = "prepaid", "Prepaid"
        NET = "net", "Net days after invoice"
        END_OF_MONTH = "eom", "End of month + days"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="customer"
    )
    email = models.EmailField(db_index=True)
    full_name = models.CharField(max_length=200)
    phone = models.CharField(max_length=40, blank=True)
    company = models.CharField(max_length=200, blank=True)
    payment_terms = models.CharField(max_length=10, choices=PaymentTerms.choices, default=PaymentTerms.PREPAID)
    net_days = models.PositiveIntegerField(
        "days to pay",
        default=0,
        help_text="Net: days after the invoice date; end of month: days after that month's end",
    )

    # A business customer: its invoices and credit notes also go out as e-invoices (Factur-X).
    vat_number = models.CharField(
        "VAT number",
        max_length=20,
        blank=True,
        validators=[vat_number_validator],
        help_text="With the country code, e.g. NL004495445B01; checked for that country's format",
    )

    class Invoicing(models.TextChoices):
        SHOP_RULE = "", "The shop's rule for the payment method"
        AT_ORDER = "at_order", "At order (when it goes to the warehouse)"
        AT_DELIVERY = "at_delivery", "At delivery"

    invoicing = models.CharField(
        "invoice", max_length=12, choices=Invoicing.choices, blank=True, default=Invoicing.SHOP_RULE
    )

    class Meta:
        ordering = ["full_name"]
        indexes = [
            # The console's list (by name) and its search (e-mail, name or company, by prefix).
            models.Index(fields=["full_name", "id"], name="customer_name_idx"),
            UpperPrefixIndex(field="email", name="customer_email_upper_idx"),
            UpperPrefixIndex(field="full_name", name="customer_name_upper_idx"),
            UpperPrefixIndex(field="company", name="customer_company_upper_idx"),
            # The order desk's customer look-up also finds customers by how their phone number begins.
            UpperPrefixIndex(field="phone", name="customer_phone_upper_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"

    def clean(self):
        super().clean()
        if self.vat_number:
            try:
                self.vat_number = vat_number_compact(self.vat_number)
            except ValidationError as error:
                raise ValidationError({"vat_number": error.messages}) from error

    @property
    def on_account(self) -> bool:
        """An account customer, with terms (net or end of month): may pay on invoice."""
        return self.payment_terms in (self.PaymentTerms.NET, self.PaymentTerms.END_OF_MONTH)


class Address(models.Model):
    """An address book entry (with a customer) or an order's frozen copy (without)."""

    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="addresses")
    full_name = models.CharField(max_length=200)
    company = models.CharField(max_length=200, blank=True)
    line1 = models.CharField("address line 1", max_length=200)
    line2 = models.CharField("address line 2", max_length=200, blank=True)
    postal_code = models.CharField(max_length=20)
    city = models.CharField(max_length=100)
    region = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, help_text="ISO 3166 code, e.g. NL")
    phone = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name_plural = "addresses"

    def __str__(self) -> str:
        return ", ".join(
            p for p in [self.full_name, self.line1, f"{self.postal_code} {self.city}", self.country_name] if p
        )

    @property
    def country_name(self) -> str:
        """The country as people read it ("Netherlands"); `country` keeps the ISO code."""
        return country_name(self.country)

    def as_lines(self) -> list[str]:
        return [
            p
            for p in [
                self.full_name,
                self.company,
                self.line1,
                self.line2,
                f"{self.postal_code} {self.city}".strip(),
                self.region,
                self.country_name,
            ]
            if p
        ]


def validate_country_codes(value):
    if not isinstance(value, list) or not value:
        raise ValidationError("List at least one country code, e.g. NL, BE, DE.")
    unknown = [c for c in value if not isinstance(c, str) or c.upper() not in COUNTRY_NAMES]
    if unknown:
        raise ValidationError(f"Unknown country code(s): {', '.join(map(str, unknown))}. Use ISO codes such as NL.")


class ShippingZone(models.Model):
    """A set of destination countries a delivery method serves (ISO 3166-1 alpha-2 codes). A JSON
    list: zones are few and read whole with their methods (prefetched), never searched by country
    in the database, so a through table would buy nothing."""

    name = models.CharField(max_length=100, unique=True)
    countries = models.JSONField(default=list, validators=[validate_country_codes], help_text="ISO codes, e.g. NL, BE")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DeliveryMethod(models.Model):
    class RateKind(models.TextChoices):
        FLAT = "flat", "Flat fee"
        BANDS = "bands", "By weight bands"

    code = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    rate_kind = models.CharField(max_length=10, choices=RateKind.choices, default=RateKind.FLAT)
    fee = models.DecimalField(
        max_digits=10, decimal_places=2, default=0, help_text="Before tax; the fee of a flat-fee method"
    )
    free_above = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Free delivery when the goods (before VAT, before discounts) are worth at least this; empty = never",
    )
    zones = models.ManyToManyField(
        ShippingZone, blank=True, related_name="delivery_methods", help_text="None = every country"
    )
    tax_rate = models.DecimalField(max_digits=5, decimal_places=4, default=0)
    min_days = models.PositiveIntegerField(default=1)
    max_days = models.PositiveIntegerField(default=3)
    is_pickup = models.BooleanField("customer picks up", default=False)
    is_active = models.BooleanField("active", default=True)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "fee"]
        constraints = [
            models.CheckConstraint(condition=Q(fee__gte=0), name="delivery_method_fee_not_negative"),
            models.CheckConstraint(
                condition=Q(free_above__isnull=True) | Q(free_above__gte=0),
                name="delivery_method_free_above_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class WeightBand(models.Model):
    """The fee of a by-weight method for orders up to `up_to_grams` (total weight); the first band
    that covers the weight applies."""

    method = models.ForeignKey(DeliveryMethod, on_delete=models.CASCADE, related_name="bands")
    up_to_grams = models.PositiveIntegerField("up to (grams)")
    fee = models.DecimalField(max_digits=10, decimal_places=2, help_text="Before tax")

    class Meta:
        ordering = ["method", "up_to_grams"]
        constraints = [
            models.UniqueConstraint(fields=["method", "up_to_grams"], name="weight_band_unique_up_to"),
            models.CheckConstraint(condition=Q(fee__gte=0), name="weight_band_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return f"up to {self.up_to_grams} g"


class Voucher(models.Model):
    """A discount code. Its terms are priced by orders.pricing (a `Discount`), and every order that
    uses it keeps a `VoucherRedemption`; `times_used` counts those not given back (a cancelled
    order returns its use). The limits are enforced by orders.services.vouchers.voucher_redeem."""

    class Kind(models.TextChoices):
        PERCENTAGE = pricing.PERCENTAGE, "Percentage off"
        FIXED_AMOUNT = pricing.FIXED_AMOUNT, "Fixed amount off"
        FREE_SHIPPING = pricing.FREE_SHIPPING, "Free delivery"

    code = models.CharField(max_length=40, unique=True, help_text="Stored in capitals")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PERCENTAGE)
    percent_off = models.DecimalField(
        max_digits=5, decimal_places=2, default=0, help_text="For a percentage off: more than 0, at most 100"
    )
    amount_off = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=0,
        help_text="For a fixed amount off, before VAT: shared over the eligible items, never more than they cost",
    )
    minimum_order = models.DecimalField(
        "minimum order value",
        max_digits=10,
        decimal_places=2,
        default=0,
        help_text="Of the eligible items, before discount and excluding VAT; 0 for none",
    )
    products = models.ManyToManyField(
        "inventory.Product", blank=True, related_name="+", help_text="Only these products (and the categories below)"
    )
    categories = models.ManyToManyField(
        "inventory.Category",
        blank=True,
        related_name="+",
        help_text="Only products in these categories; with no products or categories, the whole order",
    )
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    usage_limit = models.PositiveIntegerField(
        "total uses", null=True, blank=True, help_text="How many orders may use it in all; empty for no limit"
    )
    per_customer_limit = models.PositiveIntegerField(
        "uses per customer",
        null=True,
        blank=True,
        help_text="How many orders one customer may use it for (guests: per e-mail address); empty for no limit",
    )
    times_used = models.PositiveIntegerField(default=0, editable=False, help_text="Orders using it, not cancelled")
    is_active = models.BooleanField("active", default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="percentage", percent_off__gt=0, percent_off__lte=100)
                    | Q(kind="fixed_amount", amount_off__gt=0)
                    | Q(kind="free_shipping")
                ),
                name="voucher_kind_terms",
            ),
            models.CheckConstraint(condition=Q(minimum_order__gte=0), name="voucher_minimum_not_negative"),
            # The last line of defence behind voucher_redeem's guarded UPDATE: never more uses than allowed.
            models.CheckConstraint(
                condition=Q(usage_limit__isnull=True) | Q(times_used__lte=F("usage_limit")),
                name="voucher_uses_within_limit",
            ),
            models.CheckConstraint(
                condition=Q(per_customer_limit__isnull=True) | Q(per_customer_limit__gt=0),
                name="voucher_per_customer_limit_positive",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True) | Q(valid_until__isnull=True) | Q(valid_until__gt=F("valid_from")),
                name="voucher_dates_in_order",
            ),
        ]
        # The console's voucher list (newest first) under its filters: a campaign of single-use codes
        # makes it a long one. The code's search uses the pattern index of its unique column.
        indexes = [
            models.Index(fields=["kind", "-id"], name="voucher_kind_idx"),
            models.Index(fields=["is_active", "-id"], name="voucher_active_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.terms_display})"

    def save(self, *args, **kwargs):
        self.code = self.code.strip().upper()
        if self.pk is not None and not self._state.adding and kwargs.get("update_fields") is None:
            # `times_used` changes only through voucher_redeem / voucher_release (guarded UPDATEs); a
            # form saving an instance read a moment ago must not write back its stale count.
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.name != "times_used"
            ]
        super().save(*args, **kwargs)

    @property
    def terms_display(self) -> str:
        """What it gives, in the merchant's words: "10 % off", "€ 5.00 off", "free delivery"."""
        if self.kind == self.Kind.FIXED_AMOUNT:
            return f"{money_display(self.amount_off, settings.CURRENCY)} off"
        if self.kind == self.Kind.FREE_SHIPPING:
            return "free delivery"
        return f"{rate_display(self.percent_off / 100)} off"

    def clean(self):
        # Only the kind's own amount counts; the other stays 0 so the voucher reads as what it is.
        if self.kind != self.Kind.PERCENTAGE:
            self.percent_off = 0
        if self.kind != self.Kind.FIXED_AMOUNT:
            self.amount_off = 0
        problems = {}
        if self.kind == self.Kind.PERCENTAGE and not (self.percent_off is not None and 0 < self.percent_off <= 100):
            problems["percent_off"] = "A percentage off must be more than 0 and at most 100."
        if self.kind == self.Kind.FIXED_AMOUNT and not (self.amount_off is not None and self.amount_off > 0):
            problems["amount_off"] = "A fixed amount off must be more than 0."
        if self.minimum_order is not None and self.minimum_order < 0:
            problems["minimum_order"] = "The minimum order value cannot be negative."
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            problems["valid_until"] = "The end of the validity must come after its start."
        if self.per_customer_limit == 0:
            problems["per_customer_limit"] = "Allow at least one use per customer, or leave it empty for no limit."
        if self.usage_limit is not None and self.pk is not None:
            used = Voucher.objects.filter(pk=self.pk).values_list("times_used", flat=True).first() or 0
            if self.usage_limit < used:
                problems["usage_limit"] = f"It has been used {used} times already; the limit cannot be lower than that."
        if problems:
            raise ValidationError(problems)


class Order(ConcurrentTransitionMixin, TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PLACED = "placed", "Placed"
        ON_HOLD = "on_hold", "On hold"
        BACKORDERED = "backordered", "Back-ordered"
        VERIFIED = "verified", "Verified"
        IN_FULFILLMENT = "in_fulfillment", "In fulfilment"
        PARTIALLY_SHIPPED = "partially_shipped", "Partially shipped"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"
        INVOICED = "invoiced", "Invoiced"
        PAID = "paid", "Paid"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    class Channel(models.TextChoices):
        WEB = "web", "Web shop"
        PHONE = "phone", "Phone"
        EMAIL = "email", "E-mail"
        IN_PERSON = "in_person", "In person"
        API = "api", "API"
        IMPORT = "import", "Import"

    class PaymentMethod(models.TextChoices):
        CARD = "card", "Card"
        BANK_TRANSFER = "bank_transfer", "Bank transfer"
        CASH_ON_DELIVERY = "cash_on_delivery", "Cash on delivery"
        IN_PERSON_CARD = "in_person_card", "Card in person"
        IN_PERSON_CASH = "in_person_cash", "Cash in person"
        STORE_CREDIT = "store_credit", "Store credit"
        ON_INVOICE = "on_invoice", "Pay on invoice"

    class PaymentStanding(models.TextChoices):
        """How the order's money stands, beside its fulfilment status; kept by invoicing's
        payment_standing_refresh after every payment, refund, credit note and invoice, and by a
        daily sweep for invoices that fall overdue."""

        UNPAID = "unpaid", "Unpaid"
        AUTHORISED = "authorised", "Authorised"
        PARTIALLY_PAID = "partially_paid", "Partially paid"
        PAID = "paid", "Paid"
        OVERDUE = "overdue", "Overdue"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
        REFUNDED = "refunded", "Refunded"

    CANCELLABLE = [
        Status.DRAFT,
        Status.PLACED,
        Status.ON_HOLD,
        Status.BACKORDERED,
        Status.VERIFIED,
        Status.IN_FULFILLMENT,
    ]

    number = models.CharField(max_length=20, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    email = models.EmailField()
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.WEB, db_index=True)
    status = FSMField(default=Status.DRAFT, choices=Status.choices, protected=True, db_index=True)

    delivery_method = models.ForeignKey(DeliveryMethod, on_delete=models.PROTECT, related_name="+")
    delivery_method_name = models.CharField(max_length=100)
    shipping_address = models.ForeignKey(Address, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    billing_address = models.ForeignKey(Address, on_delete=models.PROTECT, related_name="+")
    requested_delivery_date = models.DateField(null=True, blank=True)
    delivery_instructions = models.TextField(blank=True)
    payment_method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    payment_reference = models.CharField(max_length=40, blank=True, help_text="What a bank transfer must quote")
    voucher = models.ForeignKey(Voucher, null=True, blank=True, on_delete=models.PROTECT, related_name="orders")
    discount_code = models.CharField(max_length=40, blank=True)

    currency = models.CharField(max_length=3, default="EUR")
    subtotal = models.DecimalField(
        max_digits=12, decimal_places=2, default=0, help_text="Lines before discount and tax"
    )
    discount_total = models.DecimalField(
        max_digits=12, decimal_places=2, default=0, help_text="Taken off the lines, before tax"
    )
    # What the voucher gave, as it stood at placement (orders.pricing.Discount.as_data, its scope cut
    # down to these lines): re-pricing the order uses these terms, never the voucher as it is now.
    discount_terms = models.JSONField(default=dict, blank=True)
    shipping_discount = models.DecimalField(
        max_digits=12, decimal_places=2, default=0, help_text="Delivery fee waived by a voucher, before tax"
    )
    shipping_total = models.DecimalField(
        max_digits=12, decimal_places=2, default=0, help_text="Delivery charged, before tax"
    )
    shipping_tax_rate = models.DecimalField(max_digits=5, decimal_places=4, default=0)
    tax_total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    total = models.DecimalField(max_digits=12, decimal_places=2, default=0)

    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    placed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Staff member who entered the order",
    )
    # The quote this order was accepted from: its held prices are the order's prices. One order per
    # quote, which the database enforces (a second acceptance cannot make a second order).
    quote = models.OneToOneField("orders.Quote", null=True, blank=True, on_delete=models.PROTECT, related_name="order")
    # Staff sent what was in stock ahead (start_partial_fulfillment); the back-ordered rest gets its
    # own parcel when receiving fills it (orders.services.partial_fulfilment). Until then the order
    # cannot become "shipped".
    backorder_rest = models.BooleanField(
        "back-ordered rest to follow", default=False, help_text="Part shipped ahead; the rest follows when in stock"
    )
    # How many times staff edited the order since placement (orders.services.order_edits): the edit
    # form posts the version it showed, and a save from a stale form is refused.
    version = models.PositiveIntegerField(default=0, editable=False)
    payment_standing = models.CharField(
        max_length=20, choices=PaymentStanding.choices, default=PaymentStanding.UNPAID, editable=False
    )

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("verify_order", "Can verify orders and release holds"),
            ("fulfil_order", "Can pick, pack, dispatch and record deliveries"),
            ("cancel_order", "Can cancel orders"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
        ]
        indexes = [
            # The console's order list: newest first, alone and under each filter; search by e-mail
            # (the number's prefix search uses the pattern index PostgreSQL adds to the unique column).
            models.Index(fields=["-placed_at", "-id"], name="order_placed_idx"),
            models.Index(fields=["status", "-placed_at", "-id"], name="order_status_placed_idx"),
            models.Index(fields=["channel", "-placed_at", "-id"], name="order_channel_placed_idx"),
            models.Index(fields=["payment_method", "-placed_at", "-id"], name="order_payment_placed_idx"),
            models.Index(fields=["payment_standing", "-placed_at", "-id"], name="order_standing_placed_idx"),
            UpperPrefixIndex(field="email", name="order_email_upper_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    # Transitions change only this row; services do the rest (CONVENTIONS rules 4 and 5).
    @transition(field=status, source=Status.DRAFT, target=Status.PLACED)
    def place(self):
        pass

    # A verified order goes on hold (or back-ordered) again when an edit fails its re-check
    # (orders.services.order_edits). Verification applies both without a permission check; a person
    # pressing them needs the verifier's permission.
    @transition(
        field=status,
        source=[Status.PLACED, Status.BACKORDERED, Status.VERIFIED],
        target=Status.ON_HOLD,
        permission=staff_permission("orders.verify_order"),
    )
    def hold(self):
        pass

    @transition(
        field=status,
        source=[Status.PLACED, Status.ON_HOLD, Status.VERIFIED],
        target=Status.BACKORDERED,
        permission=staff_permission("orders.verify_order"),
    )
    def backorder(self):
        pass

    @transition(
        field=status,
        source=[Status.PLACED, Status.ON_HOLD, Status.BACKORDERED],
        target=Status.VERIFIED,
        permission=staff_permission("orders.verify_order"),
    )
    def verify(self):
        pass

    @transition(
        field=status,
        source=Status.VERIFIED,
        target=Status.IN_FULFILLMENT,
        permission=staff_permission("orders.fulfil_order"),
    )
    def start_fulfillment(self):
        pass

    # Ship what is allocated now, leave the back-ordered rest on the order (Order.backorder_rest).
    @transition(
        field=status,
        source=Status.BACKORDERED,
        target=Status.IN_FULFILLMENT,
        permission=staff_any_permission("orders.fulfil_order", "orders.verify_order"),
    )
    def start_partial_fulfillment(self):
        pass

    @transition(field=status, source=[Status.IN_FULFILLMENT, Status.PARTIALLY_SHIPPED], target=Status.PARTIALLY_SHIPPED)
    def ship_partially(self):
        pass

    @transition(field=status, source=[Status.IN_FULFILLMENT, Status.PARTIALLY_SHIPPED], target=Status.SHIPPED)
    def ship(self):
        pass

    # A parcel that came back to us goes out again (orders.services.returns): part of the order
    # is to ship once more.
    @transition(field=status, source=[Status.SHIPPED, Status.PARTIALLY_SHIPPED], target=Status.PARTIALLY_SHIPPED)
    def reship(self):
        pass

    @transition(field=status, source=Status.SHIPPED, target=Status.DELIVERED)
    def deliver(self):
        pass

    @transition(field=status, source=Status.DELIVERED, target=Status.INVOICED)
    def invoice(self):
        pass

    @transition(field=status, source=Status.INVOICED, target=Status.PAID)
    def pay(self):
        pass

    @transition(field=status, source=Status.PAID, target=Status.COMPLETED)
    def complete(self):
        pass

    @transition(field=status, source=CANCELLABLE, target=Status.CANCELLED, permission=can_cancel)
    def cancel(self):
        pass

    @property
    def is_cancellable(self) -> bool:
        return self.status in self.CANCELLABLE


def waiting_for_stock(prefix: str = "") -> Q:
    """Orders that wait for incoming stock: back-ordered ones, and those that shipped what was in
    stock ahead and still wait for the rest (Order.backorder_rest). `prefix`: the path to the order
    from the model queried ("order__")."""
    return Q(**{f"{prefix}status": Order.Status.BACKORDERED}) | Q(
        **{
            f"{prefix}backorder_rest": True,
            f"{prefix}status__in": [Order.Status.IN_FULFILLMENT, Order.Status.PARTIALLY_SHIPPED],
        }
    )


class VoucherRedemption(models.Model):
    """One order's use of a voucher, written in the order's placement transaction.

    A cancelled order gives its use back: `released_at` is set and `customer_use` cleared, and the
    voucher's `times_used` goes down (orders.services.vouchers.voucher_release_for_order).
    `customer_use` numbers the uses of one customer that still count (1, 2, ...); the unique
    constraint on it makes two uses taken at once by one customer impossible to both commit.
    """

    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="redemptions")
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="voucher_redemption")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="voucher_redemptions")
    amount = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="What the customer saved, before tax (items and delivery)"
    )
    customer_use = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField("given back", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["voucher", "customer", "customer_use"], name="voucher_redemption_one_per_customer_use"
            ),
            models.CheckConstraint(
                condition=Q(released_at__isnull=True, customer_use__isnull=False)
                | Q(released_at__isnull=False, customer_use__isnull=True),
                name="voucher_redemption_counted_until_released",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="voucher_redemption_amount_not_negative"),
        ]
        # The list of redemptions, newest first, alone and for one voucher (the voucher page's link).
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="redemption_created_idx"),
            models.Index(fields=["voucher", "-created_at", "-id"], name="redemption_voucher_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.voucher_id} on order {self.order_id}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("inventory.Product", null=True, on_delete=models.PROTECT, related_name="order_lines")
    sku = models.CharField("SKU", max_length=64)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, help_text="Before tax, at placement")
    tax_rate = models.DecimalField(max_digits=5, decimal_places=4)
    discount_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    net_amount = models.DecimalField(max_digits=12, decimal_places=2, help_text="After discount, before tax")
    tax_amount = models.DecimalField(max_digits=12, decimal_places=2)
    line_total = models.DecimalField(max_digits=12, decimal_places=2, help_text="Including tax")
    customisation_notes = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.name}"


QUOTE_NUMBER_PREFIX = "Q"


class Quote(ConcurrentTransitionMixin, TimeStampedModel):
    """What customer service keeps before an order exists: a draft (nothing reserved, invisible to
    the customer) or a quote sent to the customer with its prices held until `valid_until`.

    It holds the order request as data (lines, addresses, choices); it becomes an order only through
    order placement (lifecycle.quotes), so placement stays the one way in and drafts never appear
    in the order lists or take order numbers."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent to the customer"
        ACCEPTED = "accepted", "Accepted (order placed)"
        CANCELLED = "cancelled", "Cancelled"

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="quotes")
    email = models.EmailField()
    channel = models.CharField(max_length=20, choices=Order.Channel.choices, default=Order.Channel.PHONE)
    status = FSMField(default=Status.DRAFT, choices=Status.choices, protected=True)

    delivery_method = models.ForeignKey(
        DeliveryMethod, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # AddressData fields; copied into the order's frozen addresses when it is placed.
    billing_address = models.JSONField(default=dict, blank=True)
    shipping_address = models.JSONField(null=True, blank=True)
    requested_delivery_date = models.DateField(null=True, blank=True)
    delivery_instructions = models.TextField(blank=True)
    payment_method = models.CharField(max_length=20, choices=Order.PaymentMethod.choices, blank=True)
    discount_code = models.CharField(max_length=40, blank=True)
    received_message = models.TextField(blank=True, help_text="The customer's e-mail, for an e-mail order")

    currency = models.CharField(max_length=3, default="EUR")
    subtotal = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    discount_total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    shipping_total = models.DecimalField(max_digits=12, decimal_places=2, default=0, help_text="Before tax")
    tax_total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    total = models.DecimalField(max_digits=12, decimal_places=2, default=0)

    valid_until = models.DateField(null=True, blank=True, help_text="Last day the customer can accept")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    # The desk form's key: saving the same form twice (double click, two tabs) keeps one draft.
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name_plural = "drafts and quotes"
        constraints = [models.CheckConstraint(condition=Q(total__gte=0), name="quote_total_not_negative")]
        # The console's quote list: newest first, alone and by status.
        indexes = [models.Index(fields=["status", "-id"], name="quote_status_idx")]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        """Q100001, Q100002...: from the primary key, so no counter and no second write."""
        return f"{QUOTE_NUMBER_PREFIX}{100000 + self.pk}" if self.pk else "new quote"

    def is_expired_on(self, day) -> bool:
        return self.valid_until is not None and self.valid_until < day

    @transition(field=status, source=[Status.DRAFT, Status.SENT], target=Status.SENT)
    def send(self):
        pass

    @transition(field=status, source=[Status.DRAFT, Status.SENT], target=Status.ACCEPTED)
    def accept(self):
        pass

    @transition(field=status, source=[Status.DRAFT, Status.SENT], target=Status.CANCELLED)
    def cancel(self):
        pass


class QuoteLine(models.Model):
    """A line of a draft or quote. The amounts are those of the last pricing; once the quote is
    sent, `unit_price` is the held price the customer may accept at until `valid_until`."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("inventory.Product", on_delete=models.PROTECT, related_name="+")
    sku = models.CharField("SKU", max_length=64)
    name = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, help_text="Before tax")
    tax_rate = models.DecimalField(max_digits=5, decimal_places=4)
    discount_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    net_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    tax_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    line_total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    customisation_notes = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="quote_line_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.name}"


class OrderCheck(models.Model):
    """One verification check's result, recorded when the order is verified."""

    class Result(models.TextChoices):
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"
        WARNING = "warning", "Warning"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="checks")
    name = models.CharField(max_length=40)
    result = models.CharField(max_length=10, choices=Result.choices)
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        # The on-hold queue: which held orders fail which check (failed rows are few; "failed" is
        # Result.FAILED, which Meta cannot name).
        indexes = [models.Index(fields=["name", "order"], name="ordercheck_failed_idx", condition=Q(result="failed"))]

    def __str__(self) -> str:
        return f"{self.name}: {self.result}"


class OrderEvent(AppendOnlyModel):
    """The order's timeline. Append-only; every transition of the order or of its shipments,
    invoices and payments writes exactly one row in the transaction that made the change.
    Rows are written only by the functions in orders/events.py, one per kind."""

    class Kind(models.TextChoices):
        """Every kind of event on the timeline. The value is stored; the label is what staff read."""

        # State changes: "<object>.<transition>", one per django-fsm transition of Order,
        # Shipment, Invoice and Payment (orders.events.event_transition picks the member).
        ORDER_PLACE = "order.place", "Order placed"
        ORDER_HOLD = "order.hold", "Order put on hold"
        ORDER_BACKORDER = "order.backorder", "Order back-ordered"
        ORDER_VERIFY = "order.verify", "Order verified"
        ORDER_START_FULFILLMENT = "order.start_fulfillment", "Fulfilment started"
        ORDER_START_PARTIAL_FULFILLMENT = "order.start_partial_fulfillment", "Available part sent to the warehouse"
        ORDER_SHIP_PARTIALLY = "order.ship_partially", "Order partially shipped"
        ORDER_SHIP = "order.ship", "Order shipped"
        ORDER_RESHIP = "order.reship", "Returned parcel to be shipped again"
        ORDER_DELIVER = "order.deliver", "Order delivered"
        ORDER_INVOICE = "order.invoice", "Order invoiced"
        ORDER_PAY = "order.pay", "Order paid"
        ORDER_COMPLETE = "order.complete", "Order completed"
        ORDER_CANCEL = "order.cancel", "Order cancelled"
        SHIPMENT_START_PICKING = "shipment.start_picking", "Picking started"
        SHIPMENT_PACK = "shipment.pack", "Parcel packed"
        SHIPMENT_DISPATCH = "shipment.dispatch", "Parcel dispatched"
        SHIPMENT_MARK_IN_TRANSIT = "shipment.mark_in_transit", "Parcel in transit"
        SHIPMENT_DELIVER = "shipment.deliver", "Parcel delivered"
        SHIPMENT_FAIL_DELIVERY = "shipment.fail_delivery", "Delivery attempt failed"
        SHIPMENT_REDISPATCH = "shipment.redispatch", "Parcel sent out again"
        SHIPMENT_RETURN_TO_SENDER = "shipment.return_to_sender", "Parcel returned to sender"
        SHIPMENT_CANCEL = "shipment.cancel", "Parcel cancelled"
        INVOICE_ISSUE = "invoice.issue", "Invoice issued"
        INVOICE_RECORD_PARTIAL_PAYMENT = "invoice.record_partial_payment", "Invoice partly paid"
        INVOICE_MARK_PAID = "invoice.mark_paid", "Invoice paid"
        INVOICE_CREDIT_IN_FULL = "invoice.credit_in_full", "Invoice credited in full"
        PAYMENT_AUTHORIZE = "payment.authorize", "Card payment authorised"
        PAYMENT_CAPTURE = "payment.capture", "Payment received"
        PAYMENT_FAIL = "payment.fail", "Card payment failed"
        PAYMENT_VOID = "payment.void", "Payment voided"
        # Notes: something happened that is not a state change.
        ORDER_BACKORDER_EXPECTED = "order.backorder_expected", "Back-order date announced"
        ORDER_RECHECK_FAILED = "order.recheck_failed", "Re-check failed"
        ORDER_ADDRESS_CHANGED = "order.address_changed", "Address corrected"
        ORDER_EDITED = "order.edited", "Order edited"
        STOCK_BACKORDER_ALLOCATED = "stock.backorder_allocated", "Incoming stock allocated"
        ORDER_BACKORDER_REST_READY = "order.backorder_rest_ready", "Back-ordered rest in stock, parcel made"
        SHIPMENT_SPLIT = "shipment.split", "Parcel split"
        NOTIFICATION_RESEND = "notification.resend", "E-mail queued again"
        INVOICE_PDF_FAILED = "invoice.pdf_failed", "Invoice PDF failed"
        PAYMENT_CAPTURE_FAILED = "payment.capture_failed", "Card capture failed at the gateway"
        PAYMENT_VOID_FAILED = "payment.void_failed", "Card hold release failed at the gateway"
        FEEDBACK_RECEIVED = "feedback.received", "Feedback received"
        FEEDBACK_FOLLOWED_UP = "feedback.followed_up", "Feedback followed up"
        ORDER_STAFF_COMMENT = "order.staff_comment", "Staff comment"
        WORK_ITEM_START = "workitem.start", "Work item started"
        WORK_ITEM_FINISH = "workitem.finish", "Work item done"
        WORK_ITEM_ASSIGN = "workitem.assign", "Work item assigned"
        SHIPMENT_OUT_FOR_DELIVERY = "shipment.out_for_delivery", "Parcel out for delivery"
        SHIPMENT_TRACKING_NOTED = "shipment.tracking_noted", "Carrier update (no change)"
        SHIPMENT_RECEIVED_BACK = "shipment.received_back", "Returned parcel received back into stock"
        SHIPMENT_RETURN_DECIDED = "shipment.return_decided", "Returned parcel: decision recorded"
        CREDIT_NOTE_ISSUED = "credit_note.issued", "Credit note issued"
        REFUND_REQUESTED = "refund.requested", "Refund started"
        REFUND_SUCCEED = "refund.succeed", "Refund paid out"
        REFUND_FAIL = "refund.fail", "Refund failed"
        REFUND_RETRY = "refund.retry", "Refund tried again"
        RETURN_REQUESTED = "return.requested", "Return requested"
        RETURNREQUEST_AUTHORISE = "returnrequest.authorise", "Return authorised"
        RETURNREQUEST_REFUSE = "returnrequest.refuse", "Return refused"
        RETURNREQUEST_RECEIVE = "returnrequest.receive", "Returned goods received"
        RETURNREQUEST_CLOSE = "returnrequest.close", "Return credited and refunded"
        INVOICE_REMINDER_SENT = "invoice.reminder_sent", "Payment reminder sent"
        INVOICE_REMINDERS_HELD = "invoice.reminders_held", "Reminders put on hold (disputed)"
        INVOICE_REMINDERS_RESUMED = "invoice.reminders_resumed", "Reminders resumed"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    object_type = models.CharField(max_length=20, default="order")
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=60, choices=Kind.choices, db_index=True)
    from_state = models.CharField(max_length=30, blank=True)
    to_state = models.CharField(max_length=30, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=100, blank=True, help_text="Who or which system")
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    customer_visible = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        # The timeline of one shipment, invoice or payment (events_for_object), and the event list's
        # filter by object type; whether an order ever had an event of a kind (the dashboard's
        # figures, reports.figures: held, back-ordered, delivered), read from the index alone.
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="orderevent_object_idx"),
            models.Index(fields=["order", "kind"], name="orderevent_order_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind}"


class PickBatch(TimeStampedModel):
    """A wave: several pending parcels of one warehouse picked in one walk
    (orders.services.picking.pick_batch_create moves them all to picking at once)."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"

    number = models.CharField(max_length=30, unique=True)
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, related_name="pick_batches")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)

    class Meta:
        ordering = ["-pk"]
        verbose_name_plural = "pick batches"
        indexes = [models.Index(fields=["state", "-id"], name="pickbatch_state_idx")]

    def __str__(self) -> str:
        return self.number


def carrier_secret_new() -> str:
    """A fresh webhook secret: 32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)


def tracking_url_template_validate(value: str) -> None:
    if "{tracking_number}" not in value:
        raise ValidationError("The tracking URL template must contain {tracking_number}.")
    if not value.startswith(("https://", "http://")):
        raise ValidationError("The tracking URL template must start with https:// or http://.")


class Carrier(models.Model):
    """A carrier parcels are handed to: how to link a tracking number, and the secret its webhook
    signs with (hooks.views.carrier_webhook)."""

    name = models.CharField(max_length=60)
    code = models.SlugField(max_length=30, unique=True, help_text="In the webhook URL: /hooks/carriers/<code>/")
    tracking_url_template = models.CharField(
        max_length=200,
        validators=[tracking_url_template_validate],
        help_text="e.g. https://track.example/{tracking_number}",
    )
    webhook_secret = models.CharField(max_length=80, default=carrier_secret_new, help_text="Give it to the carrier")
    is_active = models.BooleanField("active", default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def tracking_url_for(self, tracking_number: str) -> str:
        return self.tracking_url_template.replace("{tracking_number}", quote(tracking_number.strip(), safe=""))


class Shipment(ConcurrentTransitionMixin, TimeStampedModel):
    class ReturnDecision(models.TextChoices):
        RESHIP = "reship", "Re-ship"
        REFUND_DUE = "refund_due", "Refund due"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PICKING = "picking", "Picking"
        PACKED = "packed", "Packed"
        SHIPPED = "shipped", "Shipped"
        IN_TRANSIT = "in_transit", "In transit"
        DELIVERED = "delivered", "Delivered"
        DELIVERY_FAILED = "delivery_failed", "Delivery failed"
        RETURNED_TO_SENDER = "returned_to_sender", "Returned to sender"
        CANCELLED = "cancelled", "Cancelled"

    FULFIL = staff_permission("orders.fulfil_order")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="shipments")
    number = models.CharField(max_length=30, unique=True)
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, related_name="shipments")
    status = FSMField(default=Status.PENDING, choices=Status.choices, protected=True, db_index=True)
    carrier = models.CharField(max_length=60, blank=True, help_text="The carrier's name as at dispatch")
    carrier_record = models.ForeignKey(
        Carrier, null=True, blank=True, on_delete=models.PROTECT, related_name="shipments", verbose_name="carrier"
    )
    service = models.CharField(max_length=60, blank=True)
    tracking_number = models.CharField(max_length=60, blank=True, db_index=True)
    tracking_url = models.URLField(blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # The promised dispatch date, set when the parcel is made (orders.dispatch.dispatch_by_for):
    # the warehouse works its queues by it, oldest first. Empty only on parcels made before it existed.
    dispatch_by = models.DateField("dispatch by", null=True, blank=True)
    # Whether it left after that day (the shop's calendar day of dispatch), set at dispatch: the
    # dashboard's on-time dispatch and perfect orders read it (reports.figures). Empty until
    # dispatched, and for parcels without a promised day.
    dispatched_late = models.BooleanField(null=True, blank=True, editable=False)
    pick_batch = models.ForeignKey(
        PickBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="shipments"
    )
    # A parcel returned to sender: when its units were put back on the shelf, then what customer
    # service decided (orders.services.returns).
    received_back_at = models.DateTimeField(null=True, blank=True)
    return_decision = models.CharField(max_length=20, choices=ReturnDecision.choices, blank=True)
    return_decision_note = models.CharField(max_length=500, blank=True)
    return_decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        # The console's shipment list (oldest first, as the warehouse works) under each filter;
        # the warehouse queues (status, then per warehouse) by promised dispatch date.
        indexes = [
            models.Index(fields=["status", "id"], name="shipment_status_idx"),
            models.Index(fields=["carrier", "id"], name="shipment_carrier_idx"),
            models.Index(fields=["status", "dispatch_by", "id"], name="shipment_status_dispatch_idx"),
            models.Index(fields=["status", "warehouse", "dispatch_by", "id"], name="shipment_wh_dispatch_idx"),
            # An order's late parcels, sent late or overdue and not sent (the dashboard's figures).
            models.Index(fields=["order"], name="shipment_sent_late_idx", condition=Q(dispatched_late=True)),
            models.Index(
                fields=["order", "dispatch_by"],
                name="shipment_unsent_promised_idx",
                condition=Q(dispatched_at__isnull=True, dispatch_by__isnull=False),
            ),
            # The "returned parcels: decide" queue.
            models.Index(
                fields=["id"],
                name="shipment_return_undecided_idx",
                condition=Q(status="returned_to_sender", return_decided_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(received_back_at__isnull=True) | Q(status="returned_to_sender"),
                name="shipment_received_back_only_returned",
            ),
            models.CheckConstraint(
                condition=Q(return_decided_at__isnull=True, return_decision="")
                | Q(return_decided_at__isnull=False, received_back_at__isnull=False) & ~Q(return_decision=""),
                name="shipment_return_decided_after_receipt",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @transition(field=status, source=Status.PENDING, target=Status.PICKING, permission=FULFIL)
    def start_picking(self):
        pass

    @transition(field=status, source=Status.PICKING, target=Status.PACKED, permission=FULFIL)
    def pack(self):
        pass

    @transition(field=status, source=Status.PACKED, target=Status.SHIPPED, permission=FULFIL)
    def dispatch(self):
        pass

    @transition(field=status, source=Status.SHIPPED, target=Status.IN_TRANSIT, permission=FULFIL)
    def mark_in_transit(self):
        pass

    @transition(field=status, source=[Status.SHIPPED, Status.IN_TRANSIT], target=Status.DELIVERED, permission=FULFIL)
    def deliver(self):
        pass

    @transition(
        field=status, source=[Status.SHIPPED, Status.IN_TRANSIT], target=Status.DELIVERY_FAILED, permission=FULFIL
    )
    def fail_delivery(self):
        pass

    @transition(field=status, source=Status.DELIVERY_FAILED, target=Status.SHIPPED, permission=FULFIL)
    def redispatch(self):
        pass

    @transition(field=status, source=Status.DELIVERY_FAILED, target=Status.RETURNED_TO_SENDER, permission=FULFIL)
    def return_to_sender(self):
        pass

    # Only as part of cancelling its order, before anything left the warehouse.
    @transition(field=status, source=[Status.PENDING, Status.PICKING, Status.PACKED], target=Status.CANCELLED)
    def cancel(self):
        pass


class OrderVersion(models.Model):
    """One saved edit of an order (orders.services.order_edits.order_edit): who, when, why, and the
    order as it was before and after (`order_edit_snapshot`: lines, delivery, addresses, voucher,
    totals). Version 1 is the first edit; the order's `version` is the latest number."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField()
    changed = models.JSONField(default=list, help_text="What changed: lines, delivery, addresses, voucher")
    before = models.JSONField()
    after = models.JSONField()

    class Meta:
        ordering = ["order", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "number"], name="order_version_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="order_version_number_positive"),
            models.CheckConstraint(condition=~Q(reason=""), name="order_version_reason_given"),
        ]

    def __str__(self) -> str:
        return f"{self.order} version {self.number}"


class TrackingEvent(models.Model):
    """What a carrier (webhook) or staff said happened to a parcel. One row per carrier event: the
    same external id from the same carrier is recorded once (orders.services.tracking)."""

    class Kind(models.TextChoices):
        IN_TRANSIT = "in_transit", "In transit"
        OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
        DELIVERED = "delivered", "Delivered"
        FAILED_ATTEMPT = "failed_attempt", "Failed delivery attempt"
        RETURNED = "returned", "Returned to sender"

    class Source(models.TextChoices):
        STAFF = "staff", "Staff"
        WEBHOOK = "webhook", "Carrier webhook"

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="tracking_events")
    carrier = models.ForeignKey(
        Carrier, null=True, blank=True, on_delete=models.PROTECT, related_name="tracking_events"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    external_id = models.CharField(max_length=100)
    payload = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    applied = models.BooleanField(default=False, help_text="Whether it changed the parcel's state")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["carrier", "external_id"], name="tracking_event_once_per_carrier"),
            models.UniqueConstraint(
                fields=["shipment", "external_id"],
                condition=Q(carrier__isnull=True),
                name="tracking_event_once_without_carrier",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.kind} {self.external_id}"


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="shipment_lines")
    allocation = models.ForeignKey(
        "inventory.StockAllocation", null=True, blank=True, on_delete=models.PROTECT, related_name="shipment_lines"
    )
    quantity = models.PositiveIntegerField()
    packed_quantity = models.PositiveIntegerField(
        default=0, help_text="Units confirmed by scanning at the packing table (orders.services.packing)"
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="shipment_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(packed_quantity__lte=F("quantity")), name="shipment_line_packed_within_quantity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x order line {self.order_line_id}"

    @property
    def is_fully_packed(self) -> bool:
        return self.packed_quantity >= self.quantity


class WorkItem(ConcurrentTransitionMixin, TimeStampedModel):
    """Work the workshop does on a line before it can be packed: an assembly, an engraving, a
    customisation. One per such shipment line, made when fulfilment starts
    (orders.services.work_items.work_items_create); the line cannot be packed until it is done."""

    class Status(models.TextChoices):
        TO_DO = "to_do", "To do"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"

    OPEN_STATUSES = (Status.TO_DO, Status.IN_PROGRESS)
    FULFIL = staff_permission("orders.fulfil_order")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="work_items")
    shipment_line = models.OneToOneField(ShipmentLine, on_delete=models.CASCADE, related_name="work_item")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="work_items")
    kind = models.CharField(max_length=200, help_text="What is to be done: the line's product")
    description = models.TextField(blank=True, help_text="The customer's customisation notes")
    status = FSMField(default=Status.TO_DO, choices=Status.choices, protected=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="work_items"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        # The open work items queue (oldest first) and "waiting for work items" (by status).
        indexes = [models.Index(fields=["status", "id"], name="workitem_status_idx")]

    def __str__(self) -> str:
        return f"{self.kind} ({self.get_status_display()})"

    @transition(field=status, source=Status.TO_DO, target=Status.IN_PROGRESS, permission=FULFIL)
    def start(self):
        pass

    @transition(field=status, source=[Status.TO_DO, Status.IN_PROGRESS], target=Status.DONE, permission=FULFIL)
    def finish(self):
        pass


class EmailNotification(models.Model):
    """Outbox row for one customer e-mail about one event. Written in the transaction that caused it,
    so a lost task can be re-sent, and unique so the same event never mails twice."""

    class Kind(models.TextChoices):
        ORDER_RECEIVED = "order_received", "Order received"
        ORDER_SHIPPED = "order_shipped", "Order shipped"
        INVOICE = "invoice", "Invoice"
        PAYMENT_CONFIRMATION = "payment_confirmation", "Payment confirmation"
        FEEDBACK_REQUEST = "feedback_request", "Feedback request"
        ORDER_CANCELLED = "order_cancelled", "Order cancelled"
        ORDER_BACKORDERED = "order_backordered", "Order back-ordered (expected date)"
        BACKORDER_READY = "backorder_ready", "Back-order complete, will ship"
        QUOTE = "quote", "Quote"
        OUT_FOR_DELIVERY = "out_for_delivery", "Parcel out for delivery"
        PARCEL_DELIVERED = "parcel_delivered", "Parcel delivered"
        DELIVERY_ATTEMPT_FAILED = "delivery_attempt_failed", "Delivery attempt failed"
        CREDIT_NOTE = "credit_note", "Credit note"
        REFUND = "refund", "Refund paid out"
        RETURN_REQUESTED = "return_requested", "Return requested"
        RETURN_AUTHORISED = "return_authorised", "Return authorised (instructions, slip)"
        RETURN_REFUSED = "return_refused", "Return refused"
        RETURN_RECEIVED = "return_received", "Returned goods received"
        PAYMENT_REMINDER = "payment_reminder", "Payment reminder"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    # About an order, or (a quote e-mail, before there is an order) about a quote: one of the two.
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    quote = models.ForeignKey(
        "orders.Quote", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    subject_key = models.CharField(max_length=60, help_text="What the e-mail is about, e.g. shipment:12")
    recipient = models.EmailField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Committed before the message goes to the mail server: while the claim is fresh no other worker
    # sends it, and every send of this row carries the same Message-ID (see notification_deliver).
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When the last send began")
    message_id = models.CharField(max_length=255, blank=True, help_text="Message-ID header of every send")

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["order", "kind", "subject_key"], name="one_email_per_event"),
            models.UniqueConstraint(fields=["quote", "kind", "subject_key"], name="one_email_per_quote_event"),
            models.CheckConstraint(
                condition=Q(order__isnull=False, quote__isnull=True) | Q(order__isnull=True, quote__isnull=False),
                name="email_about_order_or_quote",
            ),
        ]
        # The outbox list (newest first) under its kind filter, and its search by recipient.
        indexes = [
            models.Index(fields=["kind", "id"], name="email_kind_idx"),
            UpperPrefixIndex(field="recipient", name="email_recipient_upper_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient} ({self.status})"


class RiskRules(models.Model):
    """Thresholds of the verification risk rules, editable by managers. One row (pk=1)."""

    large_order_total = models.DecimalField(
        max_digits=12, decimal_places=2, default=2000, help_text="Hold orders whose total is above this"
    )
    first_order_total = models.DecimalField(
        max_digits=12, decimal_places=2, default=500, help_text="Hold a customer's first order above this"
    )
    velocity_max_orders = models.PositiveIntegerField(
        default=5, help_text="Hold when one customer places more than this many orders within the window"
    )
    velocity_window_minutes = models.PositiveIntegerField(default=60)
    duplicate_window_minutes = models.PositiveIntegerField(
        default=30, help_text="Same customer, same lines within this many minutes counts as a probable duplicate"
    )
    hold_country_mismatch = models.BooleanField(
        default=True, help_text="Hold when billing and delivery countries differ"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "risk rules"
        verbose_name_plural = "risk rules"

    def __str__(self) -> str:
        return "Risk rules"

    @classmethod
    def current(cls) -> "RiskRules":
        rules, _ = cls.objects.get_or_create(pk=1)
        return rules


class Cart(TimeStampedModel):
    """A signed-in customer's cart, kept across devices. Guests keep theirs in the session."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cart")

    def __str__(self) -> str:
        return f"Cart of {self.user}"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("inventory.Product", on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    customisation_notes = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "product"], name="one_cart_line_per_product"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="cart_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x product {self.product_id}"


class ReturnRequest(ConcurrentTransitionMixin, TimeStampedModel):
    """A customer's wish to send delivered goods back (an RMA): requested by them on their order
    page or by staff for them, authorised (number, instructions, return slip) or refused, received
    per unit (restocked or written off), then credited and refunded from what arrived
    (lifecycle.returns). orders.services.return_requests holds the rules."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        AUTHORISED = "authorised", "Authorised, on its way back"
        REFUSED = "refused", "Refused"
        RECEIVED = "received", "Received, to refund"
        CLOSED = "closed", "Credited and refunded"

    class Reason(models.TextChoices):
        DAMAGED = "damaged", "Arrived damaged"
        DEFECTIVE = "defective", "Does not work"
        WRONG_ITEM = "wrong_item", "Wrong item sent"
        NOT_AS_DESCRIBED = "not_as_described", "Not as described"
        NO_LONGER_NEEDED = "no_longer_needed", "No longer needed"
        OTHER = "other", "Another reason"

    class RefundTo(models.TextChoices):
        ORIGINAL = "original", "The way I paid"
        STORE_CREDIT = "store_credit", "Store credit"
        # The value becomes store credit that pays a replacement order staff place for the customer.
        EXCHANGE = "exchange", "An exchange for a replacement"

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="return_requests")
    number = models.CharField("RMA number", max_length=30, unique=True)
    status = FSMField(default=Status.REQUESTED, choices=Status.choices, protected=True, db_index=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    comment = models.TextField(blank=True)
    refund_to = models.CharField(max_length=20, choices=RefundTo.choices, default=RefundTo.ORIGINAL)
    # For a refund by bank transfer (an order paid by transfer): the customer's account.
    iban = models.CharField("IBAN", max_length=34, blank=True)
    account_holder = models.CharField(max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    refusal_reason = models.CharField(max_length=300, blank=True)
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Where the goods are sent back to",
    )
    authorised_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    credit_note_number = models.CharField(max_length=30, blank=True)
    replacement = models.ForeignKey(
        "orders.Quote",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="An exchange: the draft replacement order, for the order desk",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("handle_returns", "Can authorise, refuse and refund returns"),
            ("receive_returns", "Can receive returned goods"),
        ]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="return_created_idx"),
            models.Index(fields=["status", "created_at", "id"], name="return_status_created_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    HANDLE = staff_permission("orders.handle_returns")

    @transition(field=status, source=Status.REQUESTED, target=Status.AUTHORISED, permission=HANDLE)
    def authorise(self):
        pass

    @transition(field=status, source=Status.REQUESTED, target=Status.REFUSED, permission=HANDLE)
    def refuse(self):
        pass

    @transition(
        field=status,
        source=Status.AUTHORISED,
        target=Status.RECEIVED,
        permission=staff_permission("orders.receive_returns"),
    )
    def receive(self):
        pass

    @transition(field=status, source=Status.RECEIVED, target=Status.CLOSED, permission=HANDLE)
    def close(self):
        pass


class ReturnLine(models.Model):
    """Units of one order line asked back, and what became of them when they arrived."""

    request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="return_lines")
    quantity = models.PositiveIntegerField()
    restocked = models.PositiveIntegerField(default=0)
    written_off = models.PositiveIntegerField(default=0)
    write_off_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="return_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(restocked__lte=F("quantity") - F("written_off")),
                name="return_line_received_within_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x order line {self.order_line_id}"

    @property
    def received(self) -> int:
        return self.restocked + self.written_off


class OrderImport(models.Model):
    """One uploaded CSV of orders (channel "import"), from the console or the API: validated whole
    before anything is made; then its orders are placed, in the worker with progress when large."""

    class Status(models.TextChoices):
        REFUSED = "refused", "Refused: rows to correct"
        QUEUED = "queued", "Waiting for the worker"
        RUNNING = "running", "Placing orders"
        DONE = "done", "Done"
        FAILED = "failed", "Stopped"

    source = models.CharField(
        max_length=60,
        help_text="Where the orders come from, e.g. “Marketplace”; a reference is imported once per source",
    )
    file_name = models.CharField(max_length=200)
    file = models.FileField(upload_to="imports/%Y/%m/")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    orders_total = models.PositiveIntegerField(default=0, help_text="Orders in the file not imported before")
    orders_done = models.PositiveIntegerField(default=0)
    orders_skipped = models.PositiveIntegerField(default=0, help_text="References imported before: left alone")
    problems = models.JSONField(default=list, blank=True, help_text="[{row, column, message}]")
    placed_via = models.CharField(max_length=120, help_text="Who uploaded it: a person or an API key")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    touched_at = models.DateTimeField(auto_now_add=True, help_text="Last progress: a stale running import is resumed")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="order_import_recent"),
            models.Index(
                fields=["touched_at"], name="order_import_unfinished", condition=Q(status__in=["queued", "running"])
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.source})"


class ExternalOrderReference(models.Model):
    """The other system's number of an imported order: once per source, so the same file (or a
    later file repeating its rows) never makes the order twice."""

    source = models.CharField(max_length=60)
    reference = models.CharField(max_length=100)
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="external_reference")
    order_import = models.ForeignKey(OrderImport, on_delete=models.PROTECT, related_name="references")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "reference"], name="external_reference_once_per_source")
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.reference}"
