"""The shopping cart: in the session for guests. (A later step keeps signed-in carts in the database.)"""

SESSION_KEY = "cart"


def cart_lines_from_session(request) -> dict[str, int]:
    return dict(request.session.get(SESSION_KEY, {}))


def cart_item_count(request) -> int:
    if not hasattr(request, "session"):
        return 0
    return sum(cart_lines_from_session(request).values())
