from django.urls import path, register_converter

from .views import account, cart, catalogue, checkout, feedback, orders, quotes


class OrderNumberConverter:
    """What an order number can be, so anything else is a 404 before any query (a NUL byte, for one,
    makes PostgreSQL fail). Placement numbers orders 100001, 100002...; orders entered another way
    (the demo's PLACED-DEMO, test rows) use letters and hyphens too. At most Order.number's 20."""

    regex = "[0-9A-Za-z-]{1,20}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(OrderNumberConverter, "order_number")

app_name = "storefront"

urlpatterns = [
    path("", catalogue.catalogue, name="catalogue"),
    path("products/<slug:slug>/", catalogue.product_detail, name="product"),
    path("cart/", cart.cart_detail, name="cart"),
    path("cart/add/", cart.cart_add, name="cart_add"),
    path("cart/update/", cart.cart_update, name="cart_update"),
    path("cart/remove/", cart.cart_remove, name="cart_remove"),
    path("cart/discount/", cart.cart_discount, name="cart_discount"),
    path("checkout/", checkout.checkout, name="checkout"),
    path("checkout/review/", checkout.checkout_review, name="checkout_review"),
    path("checkout/place/", checkout.checkout_place, name="checkout_place"),
    path("account/", account.account, name="account"),
    path("account/sign-up/", account.sign_up, name="sign_up"),
    path("account/profile/", account.profile, name="profile"),
    path("account/store-credit/", account.store_credit, name="store_credit"),
    path("account/addresses/", account.address_book, name="address_book"),
    path("account/addresses/new/", account.address_edit, name="address_new"),
    path("account/addresses/<int:address_id>/", account.address_edit, name="address_edit"),
    path("account/addresses/<int:address_id>/remove/", account.address_remove, name="address_remove"),
    path("orders/find/", orders.order_lookup, name="order_lookup"),
    path("orders/<order_number:number>/", orders.order_detail, name="order_detail"),
    path("orders/<order_number:number>/cancel/", orders.order_cancel_view, name="order_cancel"),
    path("orders/<order_number:number>/return/", orders.order_return_view, name="order_return"),
    path("orders/<order_number:number>/feedback/", orders.order_feedback_start, name="order_feedback_start"),
    path(
        "orders/<order_number:number>/invoices/<str:invoice_number>.pdf",
        orders.invoice_download,
        name="invoice_download",
    ),
    path(
        "orders/<order_number:number>/credit-notes/<str:credit_note_number>.pdf",
        orders.credit_note_download,
        name="credit_note_download",
    ),
    path("feedback/<str:token>/", feedback.feedback, name="feedback"),
    path("quotes/<str:token>/", quotes.quote, name="quote"),
]
