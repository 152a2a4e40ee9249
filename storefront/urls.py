from django.urls import path

from .views import account, cart, catalogue, checkout, feedback, orders

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
    path("account/addresses/", account.address_book, name="address_book"),
    path("account/addresses/new/", account.address_edit, name="address_new"),
    path("account/addresses/<int:address_id>/", account.address_edit, name="address_edit"),
    path("account/addresses/<int:address_id>/remove/", account.address_remove, name="address_remove"),
    path("orders/find/", orders.order_lookup, name="order_lookup"),
    path("orders/<str:number>/", orders.order_detail, name="order_detail"),
    path("orders/<str:number>/cancel/", orders.order_cancel_view, name="order_cancel"),
    path("orders/<str:number>/feedback/", orders.order_feedback_start, name="order_feedback_start"),
    path("orders/<str:number>/invoices/<str:invoice_number>.pdf", orders.invoice_download, name="invoice_download"),
    path("feedback/<str:token>/", feedback.feedback, name="feedback"),
]
