"""Export links above an exportable list, for those who may export (managers)."""

from django import template
from django.urls import reverse
from django.utils.html import format_html_join

from ..exports import EXPORT_BY_MODEL

register = template.Library()

PERMISSION = "reports.export_data"
# The list's own paging is not a filter: an export holds every row the filters let through.
NOT_FILTERS = ("p", "all")


@register.simple_tag(takes_context=True)
def export_links(context) -> str:
    changelist, request = context.get("cl"), context.get("request")
    if changelist is None or request is None or not request.user.has_perm(PERMISSION):
        return ""
    export = EXPORT_BY_MODEL.get(changelist.model)
    if export is None:
        return ""
    query = request.GET.copy()
    for name in NOT_FILTERS:
        query.pop(name, None)
    url = reverse("admin:reports_export", args=[export.key])
    links = []
    for file_format, label in (("csv", "Export CSV"), ("xlsx", "Export XLSX")):
        query["format"] = file_format
        links.append((url + "?" + query.urlencode(), file_format, label))
    return format_html_join(
        "",
        '<li><a href="{}" data-testid="export-{}" title="Every row this list shows, with its filters">{}</a></li>',
        links,
    )
