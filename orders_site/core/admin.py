from dataclasses import dataclass

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ImproperlyConfigured
from django.core.paginator import EmptyPage, Paginator
from django.db import connections
from django.db.models import Q, QuerySet
from django.http import HttpResponseRedirect
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext

from .models import Sequence


class ReadOnlyAdminMixin:
    """Rows written only by services (or append-only): staff look, never type over them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyAdminMixin):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False


class SavedThroughServiceMixin:
    """For change forms whose `save_model` calls a service: on refusal, call `save_refused(obj, error)`;
    the page then shows the service's message, writes no history entry and stays on the form."""

    def save_refused(self, obj, error) -> None:
        obj._save_refused = error.message

    @staticmethod
    def save_was_refused(obj) -> bool:
        return bool(getattr(obj, "_save_refused", None))

    def log_change(self, request, obj, message):
        if not self.save_was_refused(obj):
            return super().log_change(request, obj, message)

    def response_change(self, request, obj):
        if self.save_was_refused(obj):
            self.message_user(request, obj._save_refused, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        return super().response_change(request, obj)


class ListPrefetchChangeList(ChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        return queryset.prefetch_related(*self.model_admin.list_prefetches(request))


class ListPrefetchMixin:
    """For a list whose columns read related rows (an order's invoices, a parcel's lines): what
    `list_prefetches(request)` returns is prefetched for the page, one query each, however many rows
    it shows, and for the list only (the change page reads what it needs itself)."""

    def list_prefetches(self, request) -> list:
        return []

    def get_changelist(self, request, **kwargs):
        return ListPrefetchChangeList


# -- lists of tables that grow without bound (orders, the stock ledger, the event log...) -------------
#
# The rules, for every such changelist (LargeTableAdminMixin applies the first three):
# - no exact COUNT(*) of the whole table: the paginator estimates it from PostgreSQL's statistics;
# - search only through an index: each search field matches by prefix or exactly (SearchField);
# - no `date_hierarchy` (it runs a min/max or dates query over the whole table): a date column goes in
#   `list_filter` instead, where Django's date filter offers today / past 7 days / this month / this year;
# - list filters whose choices need no query over the table (choices_filter, recent_values_filter
#   rather than a plain free-text field, which runs SELECT DISTINCT over every row);
# - the default ordering, and each filter together with it, backed by an index (models' Meta.indexes);
# - `sortable_by` limited to columns an index keeps in order.


def table_row_estimate(model) -> int | None:
    """The planner's estimate of the rows in the model's table (PostgreSQL), or None elsewhere or when
    the table was never analysed. Like the planner, it scales the density measured by the last ANALYZE
    to the table's size now, so it follows growth between two runs of autovacuum."""
    connection = connections[model._default_manager.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN c.reltuples < 0 OR c.relpages = 0 THEN NULL"
            " ELSE c.reltuples / c.relpages * (pg_relation_size(c.oid) / current_setting('block_size')::int)"
            " END FROM pg_class c WHERE c.oid = to_regclass(%s)",
            [connection.ops.quote_name(model._meta.db_table)],
        )
        row = cursor.fetchone()
    return None if row is None or row[0] is None else int(row[0])


class LargeTablePaginator(Paginator):
    """Pages of a table too large to count on every page view.

    - The whole table (no filter, no search): the row estimate of `table_row_estimate`, when it is at
      least ESTIMATE_FROM rows; below that (and on SQLite) an exact count, which is cheap there.
    - Filtered or searched: an exact count of at most COUNT_UP_TO + 1 rows; past that, the count
      says "more than COUNT_UP_TO".
    `count_kind` ("exact", "estimate" or "at_least") tells the templates which it is. Pages past an
    estimated or capped count are served (they show what is there, possibly nothing): the count must
    not decide which rows can be reached.

    A page reads its rows' keys first, in a query without the list's joins (an index scan of the
    ordering, filter or search alone), then those rows with their joins. OFFSET would otherwise join
    every row it skips (page 500 joins 50,000 rows), and a filter or search that matches thousands of
    rows would join them all before sorting out the hundred shown.
    """

    ESTIMATE_FROM = 50_000
    COUNT_UP_TO = 10_000

    count_kind = "exact"

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        query = queryset.query
        if not query.where and not query.distinct and not query.combinator:
            estimate = table_row_estimate(queryset.model)
            if estimate is not None and estimate >= self.ESTIMATE_FROM:
                self.count_kind = "estimate"
                return estimate
            return queryset.count()
        # Ordering and joined columns add nothing to a count (the LIMIT keeps Django's subquery).
        counted = queryset.order_by().values("pk")[: self.COUNT_UP_TO + 1].count()
        if counted > self.COUNT_UP_TO:
            self.count_kind = "at_least"
            return self.COUNT_UP_TO
        return counted

    def validate_number(self, number):
        try:
            return super().validate_number(number)
        except EmptyPage:
            if self.count_kind == "exact" or int(number) < 1:
                raise
            return int(number)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if self.count_kind == "exact" and top + self.orphans >= self.count:
            top = self.count
        if not isinstance(self.object_list, QuerySet):
            return self._get_page(self.object_list[bottom:top], number, self)
        keys = list(self.object_list.prefetch_related(None).values_list("pk", flat=True)[bottom:top])
        return self._get_page(self.object_list.filter(pk__in=keys), number, self)


# Related rows that a search across a relation may match, newest first; a term that matches more
# (a one-digit order number, say) finds the rows of these only. It keeps the OR between the list's own
# columns and the relation's an OR of index scans on one table.
RELATED_MATCHES_MAX = 1000


@dataclass(frozen=True)
class SearchField:
    """What the search box of a large list matches in one column, in a way a B-tree index serves.

    `path` may cross forward relations ("order__number"): the related rows are looked up first (each
    hop one query, at most RELATED_MATCHES_MAX rows) and the list's rows are matched by their ids.
    The index each needs: a case-sensitive prefix or exact match, an index on the column (PostgreSQL
    adds the pattern index for `LIKE 'abc%'` by itself); `ignore_case`, an UpperPrefixIndex
    (orders_site.core.indexes).
    """

    path: str
    exact: bool = False
    ignore_case: bool = False  # UPPER(column) LIKE 'TERM%'
    capitals: bool = False  # the column holds capitals (INV-2026-000123): the term is upper-cased
    contains: bool = False  # words anywhere in the column: reads every row (see contains())

    def __str__(self) -> str:
        return self.path

    def lookup(self, term: str) -> dict[str, str]:
        """The ORM lookup on the last model of the path."""
        column = self.path.rsplit("__", 1)[-1]
        if self.capitals:
            term = term.upper()
        if self.contains:
            return {f"{column}__icontains": term}
        if self.exact:
            return {f"{column}__{'iexact' if self.ignore_case else 'exact'}": term}
        return {f"{column}__{'istartswith' if self.ignore_case else 'startswith'}": term}


def prefix(path: str, *, ignore_case: bool = False, capitals: bool = False) -> SearchField:
    """Rows whose column starts with the term (so an exact match too)."""
    return SearchField(path, ignore_case=ignore_case, capitals=capitals)


def exact(path: str, *, ignore_case: bool = False, capitals: bool = False) -> SearchField:
    """Rows whose column equals the term."""
    return SearchField(path, exact=True, ignore_case=ignore_case, capitals=capitals)


def contains(path: str) -> SearchField:
    """Rows whose column contains the term, in any case. No index serves it: every row is read. Only
    for a column of the list's own table (no relation) on a table that stays a fraction of the orders
    (feedback comments), never on orders, their lines, events or the ledger."""
    return SearchField(path, contains=True, ignore_case=True)


def _forward_relations(model, path: str) -> list:
    relations = []
    for name in path.split("__")[:-1]:
        field = model._meta.get_field(name)
        if not (field.many_to_one or field.one_to_one) or field.auto_created:
            raise ImproperlyConfigured(f"Search path {path!r}: {name!r} is not a foreign key or one-to-one field.")
        relations.append(field)
        model = field.related_model
    return relations


def search_condition(model, search_fields, term: str) -> Q:
    """The rows of `model` that one of `search_fields` (SearchField) matches for `term`."""
    matches = []
    for field in search_fields:
        if not isinstance(field, SearchField):
            raise ImproperlyConfigured(
                f"{model.__name__}: search field {field!r} is not a SearchField (prefix() or exact()); "
                "a large list searches through indexes only."
            )
        relations = _forward_relations(model, field.path)
        if field.contains and relations:
            raise ImproperlyConfigured(f"{model.__name__}: contains({field.path!r}) would read every related row.")
        if not relations:
            matches.append(Q(**field.lookup(term)))
            continue
        far = relations[-1].related_model
        ids = list(
            far._default_manager.filter(**field.lookup(term))
            .order_by("-pk")
            .values_list("pk", flat=True)[:RELATED_MATCHES_MAX]
        )
        for relation in reversed(relations[1:]):
            ids = list(
                relation.model._default_manager.filter(**{f"{relation.name}__in": ids})
                .order_by("-pk")
                .values_list("pk", flat=True)[:RELATED_MATCHES_MAX]
            )
        matches.append(Q(**{f"{relations[0].name}__in": ids}))
    return Q.create(matches, connector=Q.OR)


class LargeTableAdminMixin:
    """For the changelist of a table that grows without bound: no full count (LargeTablePaginator),
    and a search through indexes only. `search_fields` holds SearchField entries (prefix(), exact()),
    which match the whole term (trimmed), any one of them sufficing; a plain string is refused, since
    Django would turn it into `icontains` (a scan of every row). See the rules above."""

    paginator = LargeTablePaginator
    show_full_result_count = False
    # Facet counts would count every filter choice over the whole table.
    show_facets = admin.ShowFacets.NEVER

    def action_checkbox(self, obj):
        # Django renders this through the form widget's template, once per row (about a tenth of a
        # hundred-row order page). The same markup, without the template.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(gettext("Select this object for an action - {}"), str(obj)),
        )

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(search_condition(queryset.model, self.get_search_fields(request), term)), False


def choices_filter(field_name: str, title: str, choices) -> type[admin.SimpleListFilter]:
    """A list filter on a column with a known set of values that the model does not declare as
    choices (Django would otherwise list them with SELECT DISTINCT over the whole table)."""

    class ChoicesFilter(admin.SimpleListFilter):
        parameter_name = field_name

        def lookups(self, request, model_admin):
            return list(choices)

        def queryset(self, request, queryset):
            if not self.value():
                return queryset
            if self.value() not in {str(value) for value, _label in choices}:
                return queryset.none()  # no row holds a value outside the known set (nor "abc" as a rating)
            return queryset.filter(**{field_name: self.value()})

    ChoicesFilter.title = title
    ChoicesFilter.__name__ = f"{field_name.title().replace('_', '')}Filter"
    return ChoicesFilter


def recent_values_filter(field_name: str, title: str, *, rows: int = 5000) -> type[admin.SimpleListFilter]:
    """A list filter on a free-text column (a carrier, say): the values found in the latest `rows`
    rows, read through the primary key instead of a SELECT DISTINCT over the whole table."""

    class RecentValuesFilter(admin.SimpleListFilter):
        parameter_name = field_name

        def lookups(self, request, model_admin):
            latest = model_admin.model._default_manager.order_by("-pk").values_list(field_name, flat=True)[:rows]
            return [(value, value) for value in sorted({value for value in latest if value})]

        def queryset(self, request, queryset):
            if self.value():
                return queryset.filter(**{field_name: self.value()})
            return queryset

    RecentValuesFilter.title = title
    RecentValuesFilter.__name__ = f"{field_name.title().replace('_', '')}Filter"
    return RecentValuesFilter


@admin.register(Sequence)
class SequenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Gapless counters (invoice and purchase-order numbers). Read-only: editing one would repeat or
    skip numbers."""

    list_display = ("name", "last_value")
    search_fields = ("name",)


class AccessAttemptConsoleAdmin(AccessAttemptAdmin):
    """django-axes' failed sign-ins. Its "Clean up expired attempts" reads a time that axes puts
    only on sign-in requests, so on this page it failed with a 500 whatever was selected."""

    @admin.action(description=AccessAttemptAdmin.cleanup_expired_attempts.short_description)
    def cleanup_expired_attempts(self, request, queryset):
        if not hasattr(request, "axes_attempt_time"):
            request.axes_attempt_time = None  # axes then counts the cool-off back from now
        return super().cleanup_expired_attempts(request, queryset)


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, AccessAttemptConsoleAdmin)


# -- status badges (static/css/staff_console.css, "Status badges") ---------------------------------

# The tone of each state a record can be in, by its stored value (and of the payment standing and
# stock codes the lists show: due, overdue, low, out, in_stock); any other value is neutral.
BADGE_TONES = {
    "attention": {
        "on_hold",
        "backordered",
        "delivery_failed",
        "returned_to_sender",
        "partially_paid",
        "warning",
        "overdue",
        "low",
    },
    "progress": {
        "placed",
        "verified",
        "in_fulfillment",
        "picking",
        "packed",
        "partially_shipped",
        "authorized",
        "partially_received",
    },
    "moving": {"shipped", "in_transit", "issued", "invoiced", "pending", "due"},
    "done": {"delivered", "paid", "completed", "captured", "passed", "sent", "received", "in_stock"},
    "stopped": {"cancelled", "failed", "voided", "out"},
}


def badge_tone(value: str) -> str:
    return next((tone for tone, values in BADGE_TONES.items() if value in values), "neutral")


def status_badge(value: str, label: str) -> str:
    """A state as a coloured badge, `<span class="badge badge--done">Paid</span>`, for lists and
    record headers alike (one look for a state everywhere in the console)."""
    return format_html('<span class="badge badge--{}" data-status="{}">{}</span>', badge_tone(value), value, label)
