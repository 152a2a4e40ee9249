"""/api/v1/: the endpoints, the OpenAPI 3 document and its browsable docs (self-hosted assets)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from . import views

app_name = "api"

urlpatterns = [
    path("orders/", views.OrderList.as_view(), name="orders"),
    path("orders/<str:number>/", views.OrderDetail.as_view(), name="order"),
    path("orders/<str:number>/cancel/", views.OrderCancel.as_view(), name="order_cancel"),
    path("orders/<str:number>/fulfil/", views.OrderFulfil.as_view(), name="order_fulfil"),
    path("shipments/<str:number>/dispatch/", views.ShipmentDispatch.as_view(), name="shipment_dispatch"),
    path("shipments/<str:number>/deliver/", views.ShipmentDeliver.as_view(), name="shipment_deliver"),
    path("invoices/", views.InvoiceList.as_view(), name="invoices"),
    path("invoices/<str:number>/", views.InvoiceDetail.as_view(), name="invoice"),
    path("invoices/<str:number>/pdf/", views.InvoicePdf.as_view(), name="invoice_pdf"),
    path("credit-notes/", views.CreditNoteList.as_view(), name="credit_notes"),
    path("customers/", views.CustomerList.as_view(), name="customers"),
    path("customers/<int:pk>/", views.CustomerDetail.as_view(), name="customer"),
    path("products/", views.ProductList.as_view(), name="products"),
    path("stock-levels/", views.StockLevelList.as_view(), name="stock_levels"),
    path("stock-levels/receive/", views.StockReceive.as_view(), name="stock_receive"),
    path("stock-levels/adjust/", views.StockAdjust.as_view(), name="stock_adjust"),
    path("order-imports/", views.OrderImportCreate.as_view(), name="order_imports"),
    path("order-imports/template/", views.OrderImportTemplate.as_view(), name="order_import_template"),
    path("order-imports/<int:pk>/", views.OrderImportDetail.as_view(), name="order_import"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: the CSP allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
]
