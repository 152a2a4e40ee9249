from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from orders_site.core.indexes import UpperPrefixIndex
from orders_site.core.models import AppendOnlyModel, TimeStampedModel
from orders_site.core.permissions import staff_permission


class TaxClass(models.Model):
    name = models.CharField(max_length=60, unique=True)
    rate = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="0.2100 for 21 %",
    )

    class Meta:
        verbose_name_plural = "tax classes"
        constraints = [
            models.CheckConstraint(condition=Q(rate__gte=0) & Q(rate__lt=1), name="tax_rate_between_0_and_1")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.rate * 100:.2f} %)"


class Category(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(unique=True)

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(TimeStampedModel):
    class Kind(models.TextChoices):
        PHYSICAL = "physical", "Physical product"
        SERVICE = "service", "Service"

    sku = models.CharField("SKU", max_length=64, unique=True)
    barcode = models.CharField(max_length=64, blank=True, db_index=True)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PHYSICAL)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="products")
    price = models.DecimalField(max_digits=12, decimal_places=2, help_text="Unit price before tax")
    tax_class = models.ForeignKey(TaxClass, on_delete=models.PROTECT, related_name="products")
    weight_grams = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField("active", default=True)
    is_backorderable = models.BooleanField("back-orderable", default=False)
    restock_lead_days = models.PositiveIntegerField("expected restock lead time (days)", default=7)

    class Meta:
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative")]
        # The order desk's product look-up: how the SKU or the name begins, in any case (the barcode,
        # matched exactly, has its own index).
        indexes = [
            UpperPrefixIndex(field="sku", name="product_sku_upper_idx"),
            UpperPrefixIndex(field="name", name="product_name_upper_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"

    @property
    def tracks_stock(self) -> bool:
        return self.kind == self.Kind.PHYSICAL


class Warehouse(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    address = models.TextField(blank=True)
    priority = models.PositiveIntegerField(default=100, help_text="Lower ships first when several can")
    is_active = models.BooleanField("active", default=True)

    class Meta:
        ordering = ["priority", "code"]

    def __str__(self) -> str:
        return self.name


class BinLocation(models.Model):
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="bins")
    code = models.CharField(max_length=30, help_text="Aisle-rack-shelf, e.g. A-03-2")
    walk_order = models.PositiveIntegerField(default=0, help_text="Position on the picker's walk")

    class Meta:
        ordering = ["warehouse", "walk_order", "code"]
        constraints = [models.UniqueConstraint(fields=["warehouse", "code"], name="bin_code_unique_per_warehouse")]

    def __str__(self) -> str:
        return f"{self.warehouse.code}/{self.code}"


class StockLevel(models.Model):
    """How many units of a product a warehouse holds, and how many are promised to orders."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="stock_levels")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stock_levels")
    bin_location = models.ForeignKey(BinLocation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    on_hand = models.IntegerField(default=0)
    allocated = models.IntegerField(default=0)
    reorder_point = models.PositiveIntegerField(default=0, help_text="Reorder when stock falls to this")
    reorder_quantity = models.PositiveIntegerField(default=0, help_text="Order at least this many at a time")
    safety_stock = models.PositiveIntegerField(
        default=0, help_text="Units kept for demand above the average; added to the suggested reorder point"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"], name="one_stock_level_per_product_warehouse"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(allocated__gte=0), name="stock_allocated_not_negative"),
            models.CheckConstraint(condition=Q(allocated__lte=F("on_hand")), name="stock_not_over_allocated"),
        ]

    def __str__(self) -> str:
        return f"{self.product.sku} @ {self.warehouse.code}: {self.available} available"

    @property
    def available(self) -> int:
        return self.on_hand - self.allocated

    def clean(self):
        if self.bin_location_id and self.warehouse_id and self.bin_location.warehouse_id != self.warehouse_id:
            raise ValidationError({"bin_location": "This bin is in another warehouse."})


class StockMovementQuerySet(models.QuerySet):
    """The ledger is append-only: bulk updates and deletes are refused too (PostgreSQL also has a trigger)."""

    def update(self, **kwargs):
        raise ValueError("Stock movements are append-only")

    def delete(self):
        raise ValueError("Stock movements are append-only")


# Which deltas each kind of movement may carry; the database refuses anything else.
MOVEMENT_SHAPES = (
    Q(kind="receipt", on_hand_delta__gt=0, allocated_delta=0)
    | Q(kind="return", on_hand_delta__gt=0, allocated_delta=0)
    | Q(kind="allocation", on_hand_delta=0, allocated_delta__gt=0)
    | Q(kind="release", on_hand_delta=0, allocated_delta__lt=0)
    | Q(kind="dispatch", on_hand_delta__lt=0, allocated_delta=F("on_hand_delta"))
    | (Q(kind="adjustment", allocated_delta=0) & ~Q(on_hand_delta=0))
    | Q(kind="write_off", on_hand_delta__lt=0, allocated_delta=0)
)


class StockMovement(AppendOnlyModel):
    """Append-only ledger: levels can always be rebuilt by summing the deltas."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Receipt"
        ALLOCATION = "allocation", "Allocation"
        RELEASE = "release", "Release"
        DISPATCH = "dispatch", "Dispatch"
        ADJUSTMENT = "adjustment", "Adjustment"
        RETURN = "return", "Return"
        WRITE_OFF = "write_off", "Write-off"

    stock_level = models.ForeignKey(StockLevel, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    on_hand_delta = models.IntegerField(default=0)
    allocated_delta = models.IntegerField(default=0)
    reason = models.CharField(max_length=200, blank=True)
    reference = models.CharField(max_length=64, blank=True, db_index=True, help_text="Order or document number")
    actor = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = StockMovementQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        # The console's ledger list (newest first) under its kind filter.
        indexes = [models.Index(fields=["kind", "-created_at", "-id"], name="movement_kind_created_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind__in=["adjustment", "write_off"]) | ~Q(reason=""), name="adjustment_needs_reason"
            ),
            models.CheckConstraint(condition=MOVEMENT_SHAPES, name="movement_deltas_match_kind"),
        ]

    def __str__(self) -> str:
        sku = self.stock_level.product.sku
        return f"{self.get_kind_display()} {sku}: {self.on_hand_delta:+d} on hand, {self.allocated_delta:+d} allocated"


class StockAllocation(models.Model):
    """Units of one order line promised from one warehouse."""

    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.CASCADE, related_name="allocations")
    stock_level = models.ForeignKey(StockLevel, on_delete=models.PROTECT, related_name="allocations")
    quantity = models.PositiveIntegerField()
    dispatched_quantity = models.PositiveIntegerField(default=0)
    released_quantity = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(dispatched_quantity__lte=F("quantity") - F("released_quantity")),
                name="allocation_not_over_dispatched",
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="allocation_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} for order line {self.order_line_id}"

    @property
    def open_quantity(self) -> int:
        return self.quantity - self.dispatched_quantity - self.released_quantity


class Supplier(models.Model):
    name = models.CharField(max_length=200, unique=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PurchaseOrder(ConcurrentTransitionMixin, TimeStampedModel):
    """Stock ordered from a supplier for one warehouse. Receipts add stock through the ledger."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent"
        PARTIALLY_RECEIVED = "partially_received", "Partially received"
        RECEIVED = "received", "Received"
        CANCELLED = "cancelled", "Cancelled"

    OPEN = [Status.SENT, Status.PARTIALLY_RECEIVED]
    SEND = staff_permission("inventory.send_purchaseorder")
    RECEIVE = staff_permission("inventory.receive_purchaseorder")

    number = models.CharField(max_length=20, unique=True)
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="purchase_orders")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="purchase_orders")
    status = FSMField(default=Status.DRAFT, choices=Status.choices, protected=True, db_index=True)
    expected_on = models.DateField("expected delivery", null=True, blank=True)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("send_purchaseorder", "Can send purchase orders to suppliers"),
            ("receive_purchaseorder", "Can receive purchase orders"),
        ]

    def __str__(self) -> str:
        return self.number

    # Transitions change only this row; inventory.services.purchasing runs them and writes the event.
    @transition(field=status, source=Status.DRAFT, target=Status.SENT, permission=SEND)
    def send(self):
        pass

    @transition(field=status, source=OPEN, target=Status.PARTIALLY_RECEIVED, permission=RECEIVE)
    def receive_partially(self):
        pass

    @transition(field=status, source=OPEN, target=Status.RECEIVED, permission=RECEIVE)
    def receive_fully(self):
        pass

    @transition(field=status, source=Status.PARTIALLY_RECEIVED, target=Status.RECEIVED, permission=RECEIVE)
    def close(self):
        """The supplier will not deliver the rest."""

    @transition(field=status, source=[Status.DRAFT, Status.SENT], target=Status.CANCELLED, permission=SEND)
    def cancel(self):
        pass


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="purchase_order_lines")
    quantity_ordered = models.PositiveIntegerField()
    quantity_received = models.PositiveIntegerField(default=0)
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["purchase_order", "product"], name="one_po_line_per_product"),
            models.CheckConstraint(condition=Q(quantity_ordered__gt=0), name="po_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(quantity_received__lte=F("quantity_ordered")), name="po_line_not_over_received"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity_ordered} x {self.product.sku}"

    @property
    def outstanding(self) -> int:
        return self.quantity_ordered - self.quantity_received


class PurchaseOrderEvent(AppendOnlyModel):
    """The purchase order's timeline: one row per transition or receipt. Append-only."""

    class Kind(models.TextChoices):
        """Creation, then one kind per django-fsm transition of PurchaseOrder ("purchase_order.<transition>")."""

        CREATED = "purchase_order.created", "Purchase order created"
        SEND = "purchase_order.send", "Sent to the supplier"
        RECEIVE_PARTIALLY = "purchase_order.receive_partially", "Partly received"
        RECEIVE_FULLY = "purchase_order.receive_fully", "Received in full"
        CLOSE = "purchase_order.close", "Closed, the rest will not come"
        CANCEL = "purchase_order.cancel", "Cancelled"

    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=60, choices=Kind.choices)
    from_state = models.CharField(max_length=30, blank=True)
    to_state = models.CharField(max_length=30, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=100, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.purchase_order_id} {self.kind}"
