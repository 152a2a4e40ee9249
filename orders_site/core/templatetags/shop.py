"""Tags for pages that render without a request (the 500 and 400 pages, templates/errors/): what
they show comes from settings only, never from the database or a context processor."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def shop_name() -> str:
    return settings.SHOP_NAME
