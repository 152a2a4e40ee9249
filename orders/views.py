from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from inventory.models import Product

from .selectors import order_get_for_customer, order_list_for_customer


def catalogue(request):
    products = Product.objects.filter(is_active=True).select_related("tax_class")[:48]
    return render(request, "storefront/catalogue.html", {"products": products})


@login_required
def account(request):
    return render(request, "storefront/account.html", {"orders": order_list_for_customer(user=request.user)[:20]})


@login_required
def order_detail(request, number):
    order = order_get_for_customer(user=request.user, number=number)
    if order is None:
        raise Http404
    return render(request, "storefront/order_detail.html", {"order": order})


def feedback(request, token):
    raise Http404
