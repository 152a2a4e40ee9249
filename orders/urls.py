from django.urls import path

from . import views

app_name = "storefront"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("account/", views.account, name="account"),
    path("orders/<str:number>/", views.order_detail, name="order_detail"),
    path("feedback/<str:token>/", views.feedback, name="feedback"),
]
