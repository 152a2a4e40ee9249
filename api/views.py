"""The JSON API's endpoints (/api/v1/). Each one translates the request and calls the same services
as the console and the storefront (placement through lifecycle.checkout, cancellation through
lifecycle.cancellation): same checks, same verification, same events, signed with the key's name."""

import hashlib

from django.db.models import F, Prefetch
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.models import Product, StockLevel
from inventory.selectors import product_available_quantity
from invoicing.models import CreditNote, Invoice
from invoicing.services import invoice_pdf_ensure
from lifecycle.cancellation import order_cancel
from lifecycle.delivery import shipment_deliver
from lifecycle.external_orders import ExternalLine, ExternalOrder, external_order_place
from lifecycle.order_import import order_import_create, order_import_template
from lifecycle.receiving import stock_adjust, stock_receive
from orders.models import Carrier, Customer, ExternalOrderReference, Order, OrderImport, Shipment
from orders.services.customers import customer_create_by_staff
from orders.services.fulfillment import order_fulfillment_start, shipment_dispatch
from orders_site.core.exceptions import ApplicationError
from orders_site.core.problems import problem_body

from . import serializers
from .idempotency import HEADER, idempotent_run, request_hash
from .problems import CONTENT_TYPE as PROBLEM_CONTENT_TYPE

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Send the same key again (with the same body) to get the first answer instead of a second order.",
)


class NewestFirst(CursorPagination):
    ordering = ("-placed_at", "-pk")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class BySku(CursorPagination):
    ordering = ("pk",)
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500


def _idempotent(request, work, *, body: bytes | None = None) -> JsonResponse | Response:
    """Run `work()` -> (status, body) once per Idempotency-Key (or every time without one).
    `body`: what makes two requests the same, when not the raw body (a multipart upload's
    boundary differs on every send)."""
    key = request.headers.get(HEADER)
    if key is None:
        status_code, body = work()
        return Response(body, status=status_code)
    status_code, body, replayed = idempotent_run(
        api_key=request.auth,
        key=key,
        fingerprint=request_hash(method=request.method, path=request.path, body=request.body if body is None else body),
        work=work,
    )
    response = Response(body, status=status_code)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def order_detail_queryset():
    return (
        Order.objects.exclude(status=Order.Status.DRAFT)
        .select_related("customer")
        .prefetch_related(
            "lines",
            Prefetch("shipments", queryset=Shipment.objects.select_related("warehouse").order_by("pk")),
            Prefetch(
                "invoices", queryset=Invoice.objects.exclude(number=None).order_by("pk"), to_attr="issued_invoices"
            ),
            "payments",
            "events",
        )
    )


def _order_body(order: Order) -> dict:
    return serializers.OrderDetailSerializer(order_detail_queryset().get(pk=order.pk)).data


class OrderList(generics.ListAPIView):
    """Orders, newest first, by cursor. Filters: status, channel, placed_after, placed_before (ISO
    8601 moments), email (the order's e-mail, exact, any case)."""

    scopes = {"GET": "orders:read", "POST": "orders:write"}
    serializer_class = serializers.OrderSerializer
    pagination_class = NewestFirst

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=Order.Status.values),
            OpenApiParameter("channel", OpenApiTypes.STR, enum=Order.Channel.values),
            OpenApiParameter("placed_after", OpenApiTypes.DATETIME),
            OpenApiParameter("placed_before", OpenApiTypes.DATETIME),
            OpenApiParameter("email", OpenApiTypes.EMAIL),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        orders = Order.objects.exclude(status=Order.Status.DRAFT).select_related("customer")
        params = serializers.OrderFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        if data.get("status"):
            orders = orders.filter(status=data["status"])
        if data.get("channel"):
            orders = orders.filter(channel=data["channel"])
        if data.get("placed_after"):
            orders = orders.filter(placed_at__gte=data["placed_after"])
        if data.get("placed_before"):
            orders = orders.filter(placed_at__lt=data["placed_before"])
        if data.get("email"):
            orders = orders.filter(email__iexact=data["email"])
        return orders

    @extend_schema(
        request=serializers.OrderCreateSerializer,
        responses={201: serializers.OrderDetailSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    def post(self, request):
        """Place an order (channel `api`). It is priced from the catalogue and verified as any order:
        it comes back verified, back-ordered or on hold with the reasons on its timeline."""
        incoming = serializers.OrderCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)

        def work():
            order = _order_place(incoming.validated_data, api_key=request.auth)
            return status.HTTP_201_CREATED, serializers.OrderDetailSerializer(
                order_detail_queryset().get(pk=order.pk)
            ).data

        return _idempotent(request, work)


def _order_place(data: dict, *, api_key) -> Order:
    serializer = serializers.AddressSerializer()
    shipping = data.get("shipping_address")
    guest = data.get("customer", {})
    order = ExternalOrder(
        customer_id=data.get("customer_id"),
        email=guest.get("email", ""),
        full_name=guest.get("full_name", ""),
        phone=guest.get("phone", ""),
        lines=[ExternalLine(line["sku"], line["quantity"], line["customisation_notes"]) for line in data["lines"]],
        delivery_method=data["delivery_method"],
        payment_method=data["payment_method"],
        card_token=data.get("card_token", ""),
        billing_address=serializer.to_address(data["billing_address"]),
        shipping_address=serializer.to_address(shipping) if shipping else None,
        discount_code=data.get("discount_code", ""),
        requested_delivery_date=data.get("requested_delivery_date"),
        delivery_instructions=data.get("delivery_instructions", ""),
    )
    return external_order_place(order, channel=Order.Channel.API, placed_via=api_key.label)


class OrderDetail(generics.RetrieveAPIView):
    """One order by its number: lines, parcels, invoices, payments and the timeline."""

    scopes = {"GET": "orders:read"}
    serializer_class = serializers.OrderDetailSerializer
    lookup_field = "number"

    def get_queryset(self):
        return order_detail_queryset()


class OrderCancel(APIView):
    scopes = {"POST": "orders:write"}

    @extend_schema(
        request=serializers.CancelSerializer,
        responses={200: serializers.OrderDetailSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    def post(self, request, number: str):
        """Cancel an order before dispatch: stock released, card holds voided, money paid given back."""
        order = get_object_or_404(Order.objects.exclude(status=Order.Status.DRAFT), number=number)
        incoming = serializers.CancelSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)

        def work():
            order_cancel(order=order, reason=f"{incoming.validated_data['reason']} ({request.auth.label})")
            return status.HTTP_200_OK, _order_body(order)

        return _idempotent(request, work)


class ProductList(generics.ListAPIView):
    """Products with what is available over every active warehouse."""

    scopes = {"GET": "stock:read"}
    serializer_class = serializers.ProductSerializer
    pagination_class = BySku

    def get_queryset(self):
        return Product.objects.annotate(available_units=product_available_quantity())


class StockLevelList(generics.ListAPIView):
    """Stock per product and warehouse. Filter: sku, warehouse (its code)."""

    scopes = {"GET": "stock:read"}
    serializer_class = serializers.StockLevelSerializer
    pagination_class = BySku

    @extend_schema(
        parameters=[OpenApiParameter("sku", OpenApiTypes.STR), OpenApiParameter("warehouse", OpenApiTypes.STR)]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        levels = StockLevel.objects.select_related("product", "warehouse").annotate(
            available_units=F("on_hand") - F("allocated")
        )
        if sku := self.request.query_params.get("sku"):
            levels = levels.filter(product__sku=sku)
        if warehouse := self.request.query_params.get("warehouse"):
            levels = levels.filter(warehouse__code=warehouse)
        return levels


class OrderFulfil(APIView):
    scopes = {"POST": "shipments:write"}

    @extend_schema(request=None, responses={200: serializers.OrderDetailSerializer}, parameters=[IDEMPOTENCY_PARAMETER])
    def post(self, request, number: str):
        """Send a verified order to the warehouse: one parcel per warehouse its stock comes from."""
        order = get_object_or_404(Order.objects.exclude(status=Order.Status.DRAFT), number=number)

        def work():
            order_fulfillment_start(order=order)
            return status.HTTP_200_OK, _order_body(order)

        return _idempotent(request, work)


def _shipment(number: str) -> Shipment:
    return get_object_or_404(Shipment.objects.select_related("order", "warehouse"), number=number)


def _shipment_body(shipment: Shipment) -> dict:
    return serializers.ShipmentDetailSerializer(
        Shipment.objects.select_related("order", "warehouse").get(pk=shipment.pk)
    ).data


class ShipmentDispatch(APIView):
    scopes = {"POST": "shipments:write"}

    @extend_schema(
        request=serializers.DispatchSerializer,
        responses={200: serializers.ShipmentDetailSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    def post(self, request, number: str):
        """Hand a packed parcel to the carrier with its tracking number: stock leaves the shelf, the
        customer is e-mailed the tracking link."""
        shipment = _shipment(number)
        incoming = serializers.DispatchSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data

        def work():
            carrier = Carrier.objects.filter(code=data["carrier"], is_active=True).first() or data["carrier"]
            shipment_dispatch(
                shipment=shipment, carrier=carrier, tracking_number=data["tracking_number"], service=data["service"]
            )
            return status.HTTP_200_OK, _shipment_body(shipment)

        return _idempotent(request, work)


class ShipmentDeliver(APIView):
    scopes = {"POST": "shipments:write"}

    @extend_schema(
        request=None, responses={200: serializers.ShipmentDetailSerializer}, parameters=[IDEMPOTENCY_PARAMETER]
    )
    def post(self, request, number: str):
        """The parcel arrived. The order's last parcel delivers the order and issues its invoice."""
        shipment = _shipment(number)

        def work():
            shipment_deliver(shipment=shipment, note=f"Reported by {request.auth.label}")
            return status.HTTP_200_OK, _shipment_body(shipment)

        return _idempotent(request, work)


def issued_invoices():
    return (
        Invoice.objects.exclude(number=None)
        .select_related("order")
        .prefetch_related("lines")
        .order_by("-issued_at", "-pk")
    )


class ByIssue(CursorPagination):
    ordering = ("-issued_at", "-pk")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class InvoiceList(generics.ListAPIView):
    """Issued invoices, newest first. Filter: order (its number), status."""

    scopes = {"GET": "invoices:read"}
    serializer_class = serializers.InvoiceSerializer
    pagination_class = ByIssue

    @extend_schema(
        parameters=[
            OpenApiParameter("order", OpenApiTypes.STR),
            OpenApiParameter("status", OpenApiTypes.STR, enum=Invoice.Status.values),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        invoices = issued_invoices()
        if order := self.request.query_params.get("order"):
            invoices = invoices.filter(order__number=order)
        if invoice_status := self.request.query_params.get("status"):
            invoices = invoices.filter(status=invoice_status)
        return invoices


class InvoiceDetail(generics.RetrieveAPIView):
    scopes = {"GET": "invoices:read"}
    serializer_class = serializers.InvoiceSerializer
    lookup_field = "number"

    def get_queryset(self):
        return issued_invoices()


class InvoicePdf(APIView):
    scopes = {"GET": "invoices:read"}

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, number: str):
        """The invoice as PDF (rendered and stored first if it was not yet)."""
        invoice = get_object_or_404(Invoice.objects.exclude(number=None), number=number)
        _, pdf = invoice_pdf_ensure(invoice_id=invoice.pk)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="invoice-{invoice.number}.pdf"'
        return response


class CreditNoteList(generics.ListAPIView):
    """Credit notes, newest first. Filter: order (its number)."""

    scopes = {"GET": "invoices:read"}
    serializer_class = serializers.CreditNoteSerializer
    pagination_class = ByIssue

    @extend_schema(parameters=[OpenApiParameter("order", OpenApiTypes.STR)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        notes = CreditNote.objects.select_related("invoice", "order")
        if order := self.request.query_params.get("order"):
            notes = notes.filter(order__number=order)
        return notes


class NewestCustomers(CursorPagination):
    ordering = ("-created_at", "-pk")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class CustomerList(generics.ListCreateAPIView):
    """Customers, newest first (filter: email, exact in any case); create one."""

    scopes = {"GET": "customers:read", "POST": "customers:write"}
    serializer_class = serializers.CustomerSerializer
    pagination_class = NewestCustomers

    @extend_schema(parameters=[OpenApiParameter("email", OpenApiTypes.EMAIL)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        customers = Customer.objects.all()
        if email := self.request.query_params.get("email"):
            customers = customers.filter(email__iexact=email)
        return customers

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER], responses={201: serializers.CustomerSerializer})
    def post(self, request, *args, **kwargs):
        incoming = serializers.CustomerSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)

        def work():
            customer = customer_create_by_staff(**incoming.validated_data)
            return status.HTTP_201_CREATED, serializers.CustomerSerializer(customer).data

        return _idempotent(request, work)


class CustomerDetail(generics.RetrieveAPIView):
    scopes = {"GET": "customers:read"}
    serializer_class = serializers.CustomerSerializer

    def get_queryset(self):
        return Customer.objects.all()


def _stock_level(data) -> StockLevel:
    level = (
        StockLevel.objects.select_related("product", "warehouse")
        .filter(product__sku=data["sku"], warehouse__code=data["warehouse"])
        .first()
    )
    if level is None:
        raise ApplicationError(
            f"{data['sku']} is not stocked in warehouse {data['warehouse']}.", extra={"field": "sku"}
        )
    return level


def _level_body(level: StockLevel) -> dict:
    level = (
        StockLevel.objects.select_related("product", "warehouse")
        .annotate(available_units=F("on_hand") - F("allocated"))
        .get(pk=level.pk)
    )
    return serializers.StockLevelSerializer(level).data


class StockReceive(APIView):
    scopes = {"POST": "stock:write"}

    @extend_schema(
        request=serializers.StockReceiptSerializer,
        responses={200: serializers.StockLevelSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    def post(self, request):
        """Goods received: on hand goes up, and waiting back-orders are filled first, oldest first."""
        incoming = serializers.StockReceiptSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data

        def work():
            level = _stock_level(data)
            stock_receive(
                product=level.product,
                warehouse=level.warehouse,
                quantity=data["quantity"],
                reference=(data["reference"] or request.auth.label)[:64],
                confirmed=data["confirm_large"],
            )
            return status.HTTP_200_OK, _level_body(level)

        return _idempotent(request, work)


class StockAdjust(APIView):
    scopes = {"POST": "stock:write"}

    @extend_schema(
        request=serializers.StockAdjustmentSerializer,
        responses={200: serializers.StockLevelSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    def post(self, request):
        """A count: on hand corrected by `delta` with a reason (never below what is allocated)."""
        incoming = serializers.StockAdjustmentSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data

        def work():
            level = _stock_level(data)
            stock_adjust(stock_level=level, delta=data["delta"], reason=f"{data['reason']} ({request.auth.label})")
            return status.HTTP_200_OK, _level_body(level)

        return _idempotent(request, work)


def _order_import_body(job_id: int) -> dict:
    job = OrderImport.objects.prefetch_related(
        Prefetch("references", queryset=ExternalOrderReference.objects.select_related("order").order_by("pk"))
    ).get(pk=job_id)
    return serializers.OrderImportSerializer(job).data


class OrderImportCreate(APIView):
    scopes = {"POST": "orders:write"}
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": serializers.OrderImportUploadSerializer},
        responses={
            201: serializers.OrderImportSerializer,
            202: serializers.OrderImportSerializer,
            422: OpenApiResponse(description="A problem; for a refused file `problems` lists each row and column"),
        },
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    def post(self, request):
        """Import a CSV of orders (channel "import"). The whole file is checked first: with any bad
        row nothing is created and the 422 problem lists every row and column. A valid file is
        placed at once (201), or by the worker when large (202: follow its progress at
        GET /order-imports/{id}/). References imported before from the same source are skipped."""
        incoming = serializers.OrderImportUploadSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        upload, source = incoming.validated_data["file"], incoming.validated_data["source"]
        content = upload.read()

        def work():
            job = order_import_create(
                source=source, file_name=upload.name, content=content, placed_via=request.auth.label
            )
            body = _order_import_body(job.pk)
            if job.status == OrderImport.Status.REFUSED:
                first = job.problems[0]
                detail = f"Row {first['row']}, {first['column'] or 'the row'}: {first['message']}"
                problem = problem_body(
                    status=422,
                    slug="import-refused",
                    title="The file has rows to correct",
                    detail=detail,
                    problems=body["problems"],
                    order_import=body,
                )
                return 422, problem
            return (status.HTTP_202_ACCEPTED if job.status == OrderImport.Status.QUEUED else 201), body

        fingerprint = hashlib.sha256(source.encode() + b"\n" + content).hexdigest().encode()
        response = _idempotent(request, work, body=fingerprint)
        if response.status_code == 422:
            response.content_type = PROBLEM_CONTENT_TYPE
        return response


class OrderImportDetail(APIView):
    scopes = {"GET": "orders:read"}

    @extend_schema(responses={200: serializers.OrderImportSerializer})
    def get(self, request, pk: int):
        """An import's status and progress, its problems, and the orders it placed."""
        get_object_or_404(OrderImport, pk=pk)
        return Response(_order_import_body(pk))


class OrderImportTemplate(APIView):
    scopes = {"GET": "orders:read"}

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request):
        """The import's columns as a CSV template, with a two-line example order."""
        response = HttpResponse(order_import_template(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="order-import-template.csv"'
        return response
