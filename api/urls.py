"""/api/v1/: the endpoints, the OpenAPI 3 document and its browsable docs (self-hosted assets)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from . import views

app_name = "api"

urlpatterns = [
    path("orders/", views.OrderList.as_view(), name="orders"),
    path("orders/<str:number>/", views.OrderDetail.as_view(), name="order"),
    path("orders/<str:number>/cancel/", views.OrderCancel.as_view(), name="order_cancel"),
    path("products/", views.ProductList.as_view(), name="products"),
    path("stock-levels/", views.StockLevelList.as_view(), name="stock_levels"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: the CSP allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
]
