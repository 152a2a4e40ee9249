def cart_summary(request):
    """Number of items in the cart, for the header on every storefront page."""
    from .cart import cart_item_count

    return {"cart_item_count": cart_item_count(request)}
