from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from ..forms import AddToCartForm, CatalogueFilterForm
from ..selectors import category_list_for_storefront, product_decorate, product_get_for_storefront, product_search
from .helpers import paginate, querystring_without_page

PAGE_SIZE = 12


@require_safe
def catalogue(request):
    categories = list(category_list_for_storefront())
    form = CatalogueFilterForm(request.GET, categories=categories)
    query, category, sort = "", "", "name"
    if form.is_valid():
        query = form.cleaned_data["q"]
        category = form.cleaned_data["category"]
        sort = form.cleaned_data["sort"] or "name"
    page = paginate(request, product_search(query=query, category_slug=category, sort=sort), PAGE_SIZE)
    return render(
        request,
        "storefront/catalogue.html",
        {
            "form": form,
            "page": page,
            "products": product_decorate(page.object_list),
            "query": query,
            "category": next((c for c in categories if c.slug == category), None),
            "querystring": querystring_without_page(request),
        },
    )


@require_safe
def product_detail(request, slug):
    product = product_get_for_storefront(slug=slug)
    if product is None:
        raise Http404("No such product")
    form = AddToCartForm(initial={"product": product.pk, "quantity": 1})
    return render(request, "storefront/product_detail.html", {"product": product, "form": form})
