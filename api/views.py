"""The JSON API's endpoints (/api/v1/). Each one translates the request and calls the same services
as the console and the storefront (placement through lifecycle.checkout, cancellation through
lifecycle.cancellation): same checks, same verification, same events, signed with the key's name."""

from django.db.models import F, Prefetch
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.models import Product, StockLevel
from inventory.selectors import product_available_quantity
from invoicing.models import Invoice
from lifecycle.cancellation import order_cancel
from lifecycle.checkout import order_checkout
from orders.models import Customer, DeliveryMethod, Order, Shipment
from orders.services.customers import customer_for_guest
from orders.services.placement import InvalidOrder, LineRequest
from orders_site.core.exceptions import ApplicationError

from . import serializers
from .idempotency import HEADER, idempotent_run, request_hash

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


def _idempotent(request, work) -> JsonResponse | Response:
    """Run `work()` -> (status, body) once per Idempotency-Key (or every time without one)."""
    key = request.headers.get(HEADER)
    if key is None:
        status_code, body = work()
        return Response(body, status=status_code)
    status_code, body, replayed = idempotent_run(
        api_key=request.auth,
        key=key,
        fingerprint=request_hash(method=request.method, path=request.path, body=request.body),
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
    if "customer_id" in data:
        customer = Customer.objects.filter(pk=data["customer_id"]).first()
        if customer is None:
            raise ApplicationError("There is no customer with this id.", extra={"field": "customer_id"})
    else:
        customer = customer_for_guest(**data["customer"])
    delivery_method = DeliveryMethod.objects.filter(code=data["delivery_method"], is_active=True).first()
    if delivery_method is None:
        raise InvalidOrder("There is no active delivery method with this code.", extra={"field": "delivery_method"})
    skus = [line["sku"] for line in data["lines"]]
    products = dict(Product.objects.filter(sku__in=skus).values_list("sku", "pk"))
    unknown = [sku for sku in skus if sku not in products]
    if unknown:
        raise InvalidOrder(f"Unknown SKU: {', '.join(unknown)}.", extra={"field": "lines"})
    serializer = serializers.AddressSerializer()
    shipping = data.get("shipping_address")
    return order_checkout(
        customer=customer,
        lines=[
            LineRequest(
                product_id=products[line["sku"]],
                quantity=line["quantity"],
                customisation_notes=line["customisation_notes"],
            )
            for line in data["lines"]
        ],
        channel=Order.Channel.API,
        delivery_method=delivery_method,
        payment_method=data["payment_method"],
        card_token=data.get("card_token", ""),
        billing_address=serializer.to_address(data["billing_address"]),
        shipping_address=serializer.to_address(shipping) if shipping else None,
        discount_code=data.get("discount_code", ""),
        requested_delivery_date=data.get("requested_delivery_date"),
        delivery_instructions=data.get("delivery_instructions", ""),
        placed_via=api_key.label,
    )


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
