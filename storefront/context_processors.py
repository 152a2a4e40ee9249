from functools import lru_cache

from django.conf import settings

from .cart import cart_item_count


def cart_summary(request):
    """Shop name, currency and the number of items in the cart, for the header on every page.

    The count is a callable so that pages that do not show it (the admin) do not query for it.
    """

    @lru_cache(maxsize=1)
    def count() -> int:
        return cart_item_count(request)

    return {
        "cart_item_count": count,
        "SHOP_NAME": settings.SHOP_NAME,
        "CURRENCY": settings.CURRENCY,
        "PRICES_INCLUDE_TAX": settings.PRICES_INCLUDE_TAX_DISPLAY,
    }
