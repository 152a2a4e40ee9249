"""Small pieces the inventory admin pages share."""

from orders_site.core.exceptions import ApplicationError

from ..services import LargeReceiptUnconfirmed


def add_service_error(form, error: ApplicationError) -> None:
    """The service's refusal beside the field it names; a large receipt brings up the confirm box."""
    if isinstance(error, LargeReceiptUnconfirmed) and hasattr(form, "ask_to_confirm"):
        form.ask_to_confirm(error.message)
        return
    field = error.extra.get("field")
    form.add_error(field if field in form.fields else None, error.message)
