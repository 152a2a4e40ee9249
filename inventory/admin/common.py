"""Small pieces the inventory admin pages share."""

from orders_site.core.exceptions import ApplicationError


def add_service_error(form, error: ApplicationError) -> None:
    field = error.extra.get("field")
    form.add_error(field if field in form.fields else None, error.message)
