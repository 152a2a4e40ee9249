"""What the API reads and writes. Output serializers say exactly what a response holds (the OpenAPI
document is generated from them, and tests/api compares it with what the endpoints return); input
serializers check the shape and types of a request, and the services check everything else."""

from django.urls import reverse
from rest_framework import serializers

from inventory.models import Product, StockLevel
from orders.models import Order, OrderEvent, OrderImport, OrderLine, Shipment
from orders.services.placement import AddressData

MONEY = {"max_digits": 12, "decimal_places": 2, "coerce_to_string": True}


class CustomerBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()


class OrderLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = [
            "sku",
            "name",
            "quantity",
            "unit_price",
            "discount_amount",
            "net_amount",
            "tax_rate",
            "tax_amount",
            "line_total",
        ]


class ShipmentSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code")

    class Meta:
        model = Shipment
        fields = ["number", "status", "warehouse", "carrier", "service", "tracking_number", "tracking_url",
                  "dispatch_by", "dispatched_at", "delivered_at"]  # fmt: skip


class InvoiceBriefSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.CharField()
    issued_at = serializers.DateTimeField()
    due_date = serializers.DateField()
    total = serializers.DecimalField(**MONEY)
    amount_paid = serializers.DecimalField(**MONEY)
    amount_credited = serializers.DecimalField(**MONEY)


class PaymentBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    method = serializers.CharField()
    status = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)
    amount_refunded = serializers.DecimalField(**MONEY)
    captured_at = serializers.DateTimeField(allow_null=True)


class EventSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="get_kind_display")
    actor = serializers.CharField(source="actor_label")
    at = serializers.DateTimeField(source="created_at")

    class Meta:
        model = OrderEvent
        fields = ["kind", "label", "from_state", "to_state", "actor", "note", "at"]


class OrderSerializer(serializers.ModelSerializer):
    customer = CustomerBriefSerializer()

    class Meta:
        model = Order
        fields = ["number", "status", "payment_standing", "channel", "placed_at", "customer", "email",
                  "payment_method", "currency", "subtotal", "discount_total", "shipping_total", "tax_total",
                  "total"]  # fmt: skip


class OrderDetailSerializer(OrderSerializer):
    lines = OrderLineSerializer(many=True)
    shipments = ShipmentSerializer(many=True)
    invoices = InvoiceBriefSerializer(many=True, source="issued_invoices")
    payments = PaymentBriefSerializer(many=True, source="payments.all")
    timeline = EventSerializer(many=True, source="events.all")

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "delivery_method_name", "requested_delivery_date",
                  "delivery_instructions", "lines", "shipments", "invoices", "payments", "timeline"]  # fmt: skip


class AddressSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=200)
    company = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    postal_code = serializers.CharField(max_length=20)
    city = serializers.CharField(max_length=100)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    country = serializers.CharField(min_length=2, max_length=2, help_text="ISO 3166 code, e.g. NL")
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")

    def to_address(self, data) -> AddressData:
        return AddressData(**data)


class NewCustomerSerializer(serializers.Serializer):
    email = serializers.EmailField()
    full_name = serializers.CharField(max_length=200)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class LineRequestSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=10000)
    customisation_notes = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


API_PAYMENT_METHODS = [
    Order.PaymentMethod.BANK_TRANSFER,
    Order.PaymentMethod.ON_INVOICE,
    Order.PaymentMethod.CASH_ON_DELIVERY,
    Order.PaymentMethod.CARD,
]
API_PAYMENT_METHOD_CHOICES = [(method.value, method.label) for method in API_PAYMENT_METHODS]


class OrderCreateSerializer(serializers.Serializer):
    """A new order. Prices, totals, tax and the order's state are never taken from the request:
    placement prices every line from the catalogue and verifies the order as the shop does."""

    customer_id = serializers.IntegerField(required=False, help_text="An existing customer")
    customer = NewCustomerSerializer(required=False, help_text="Or a customer by e-mail (found again, or made)")
    lines = LineRequestSerializer(many=True, allow_empty=False, max_length=200)
    delivery_method = serializers.CharField(max_length=30, help_text="A delivery method's code, e.g. standard")
    payment_method = serializers.ChoiceField(choices=API_PAYMENT_METHOD_CHOICES)
    card_token = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    billing_address = AddressSerializer()
    shipping_address = AddressSerializer(required=False, allow_null=True, default=None)
    discount_code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    requested_delivery_date = serializers.DateField(required=False, allow_null=True, default=None)
    delivery_instructions = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def validate(self, data):
        if ("customer_id" in data) == ("customer" in data):
            raise serializers.ValidationError({"customer": ["Give either customer_id or customer, not both."]})
        return data


class OrderFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Order.Status.choices, required=False)
    channel = serializers.ChoiceField(choices=Order.Channel.choices, required=False)
    placed_after = serializers.DateTimeField(required=False)
    placed_before = serializers.DateTimeField(required=False)
    email = serializers.EmailField(required=False)


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="Shown on the order's timeline")


class ProductSerializer(serializers.ModelSerializer):
    available = serializers.IntegerField(
        source="available_units", help_text="On hand less allocated, over every warehouse"
    )

    class Meta:
        model = Product
        fields = ["sku", "name", "kind", "price", "is_active", "is_backorderable", "available"]


class StockLevelSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku")
    warehouse = serializers.CharField(source="warehouse.code")
    available = serializers.IntegerField(source="available_units", help_text="On hand less allocated")

    class Meta:
        model = StockLevel
        fields = ["sku", "warehouse", "on_hand", "allocated", "available", "reorder_point"]


class DispatchSerializer(serializers.Serializer):
    carrier = serializers.CharField(
        max_length=60, help_text="A carrier's code in the console (its name when not on record)"
    )
    tracking_number = serializers.CharField(max_length=60)
    service = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class ShipmentDetailSerializer(ShipmentSerializer):
    order = serializers.CharField(source="order.number")

    class Meta(ShipmentSerializer.Meta):
        fields = ["order", *ShipmentSerializer.Meta.fields]


class InvoiceLineSerializer(serializers.Serializer):
    sku = serializers.CharField()
    description = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(**MONEY)
    net_amount = serializers.DecimalField(**MONEY)
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=4, coerce_to_string=True)
    tax_amount = serializers.DecimalField(**MONEY)
    line_total = serializers.DecimalField(**MONEY)


class InvoiceSerializer(InvoiceBriefSerializer):
    order = serializers.CharField(source="order.number")
    currency = serializers.CharField()
    billing_name = serializers.CharField()
    subtotal = serializers.DecimalField(**MONEY)
    discount_total = serializers.DecimalField(**MONEY)
    shipping_total = serializers.DecimalField(**MONEY)
    tax_total = serializers.DecimalField(**MONEY)
    lines = InvoiceLineSerializer(many=True, source="lines.all")
    pdf = serializers.SerializerMethodField(help_text="Where to download the PDF")

    def get_pdf(self, invoice) -> str:
        return reverse("api:invoice_pdf", args=[invoice.number])


class CreditNoteSerializer(serializers.Serializer):
    number = serializers.CharField()
    invoice = serializers.CharField(source="invoice.number")
    order = serializers.CharField(source="order.number")
    issued_at = serializers.DateTimeField()
    reason = serializers.CharField()
    currency = serializers.CharField()
    net_total = serializers.DecimalField(**MONEY)
    tax_total = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)


class CustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField()
    full_name = serializers.CharField(max_length=200)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    company = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    created_at = serializers.DateTimeField(read_only=True)


class StockReceiptSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    warehouse = serializers.CharField(max_length=20, help_text="The warehouse's code")
    quantity = serializers.IntegerField(min_value=1)
    reference = serializers.CharField(max_length=50, required=False, allow_blank=True, default="",
                                      help_text="The delivery note or purchase order")  # fmt: skip
    confirm_large = serializers.BooleanField(
        required=False, default=False, help_text="Yes, receive this many (above STOCK_RECEIPT_CONFIRM_ABOVE)"
    )


class StockAdjustmentSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    warehouse = serializers.CharField(max_length=20, help_text="The warehouse's code")
    delta = serializers.IntegerField(help_text="Units found (positive) or missing (negative) at a count")
    reason = serializers.CharField(max_length=150)


class OrderImportUploadSerializer(serializers.Serializer):
    source = serializers.CharField(
        max_length=60, help_text="Where the orders come from; each order_reference is imported once per source"
    )
    file = serializers.FileField(help_text="The CSV file: one row per order line (GET …/order-imports/template/)")


class ImportProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="As a spreadsheet numbers it: the header is row 1")
    column = serializers.CharField()
    message = serializers.CharField()


class ImportedReferenceSerializer(serializers.Serializer):
    reference = serializers.CharField(help_text="Your order_reference")
    order = serializers.CharField(source="order.number", help_text="Our order number")


class OrderImportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=OrderImport.Status.choices)
    source = serializers.CharField()
    file_name = serializers.CharField()
    rows_total = serializers.IntegerField()
    orders_total = serializers.IntegerField(help_text="Orders in the file not imported before")
    orders_done = serializers.IntegerField(help_text="Placed so far")
    orders_skipped = serializers.IntegerField(help_text="References imported before from this source: left alone")
    problems = ImportProblemSerializer(many=True)
    orders = ImportedReferenceSerializer(source="references", many=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
