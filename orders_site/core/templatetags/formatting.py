"""Template filters for orders_site.core.formatting:

{% load formatting %}
{{ order.total|money:order.currency }}   → € 1,592.30
{{ product.price|money }}                → in the shop's currency (settings.CURRENCY)
{{ line.tax_rate|rate }}                 → 21 %
"""

from django import template

from orders_site.core.formatting import money_display, rate_display

register = template.Library()


@register.filter
def money(amount, currency=None) -> str:
    return money_display(amount, currency or None)


@register.filter
def rate(value) -> str:
    return rate_display(value)
