"""Index shapes for lists that grow without bound (the staff console at a million orders)."""

from django.db import models
from django.db.models import ExpressionList, Func
from django.db.models.functions import Upper
from django.db.models.sql import Query


class UpperPrefixIndex(models.Index):
    """An index on UPPER(field) that serves the console's case-insensitive search: Django's
    `istartswith` and `iexact` compare UPPER(column) with the upper-cased term.

    On PostgreSQL the index uses the text_pattern_ops operator class, so `LIKE 'ABC%'` is a range
    scan whatever the database's collation (a plain index serves it only under the C collation).
    Other databases (SQLite in development) get a plain index on UPPER(field): an operator class
    there would be a syntax error.

    Case-sensitive prefixes need no index of this kind: PostgreSQL's backend already adds a
    `varchar_pattern_ops` index beside every indexed or unique CharField.
    """

    def __init__(self, *, field: str, name: str):
        self.field_name = field
        super().__init__(Upper(field), name=name)

    def deconstruct(self):
        path = f"{self.__class__.__module__}.{self.__class__.__name__}"
        return path, (), {"field": self.field_name, "name": self.name}

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return super().create_sql(model, schema_editor, using=using, **kwargs)
        # (UPPER("email")) text_pattern_ops. Django's OpClass() renders this only with
        # django.contrib.postgres installed, which the project does not need otherwise.
        expressions = ExpressionList(
            Func(Upper(self.field_name), template="(%(expressions)s) text_pattern_ops")
        ).resolve_expression(Query(model, alias_cols=False))
        return schema_editor._create_index_sql(
            model, fields=None, name=self.name, using=using, expressions=expressions, **kwargs
        )
