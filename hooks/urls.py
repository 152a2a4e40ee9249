from django.urls import path

from . import views

app_name = "hooks"

urlpatterns = [
    path("carriers/<slug:code>/", views.carrier_webhook, name="carrier_webhook"),
]
