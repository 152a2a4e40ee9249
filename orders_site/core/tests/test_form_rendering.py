"""The fast widget renderer writes exactly the HTML of Django's widget templates.

A shopper's browser and the console's scripts read these forms; a difference in one attribute (a
missing `selected`, an unescaped quote in a value) would change what is posted. Each widget is
rendered by both renderers from the same context and the two outputs compared, byte for byte.
"""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from orders_site.core.form_rendering import WRITERS, FastWidgetRenderer

TRICKY = "He said \"<b>5 & 6</b>\" 'ok'"
CHOICES = [("", "---------"), ("NL", "Netherlands"), ("x<y", TRICKY), (3, 3), (Decimal("4.50"), Decimal("4.50"))]
GROUPED = [
    ("Benelux", [("NL", "Netherlands"), ("BE", "Belgium")]),
    ("Other & more", [("DE", "Germany")]),
    ("FR", "France"),
]

WIDGETS = [
    (forms.TextInput(), "plain"),
    (forms.TextInput(attrs={"placeholder": TRICKY, "required": True, "disabled": False, "maxlength": 20}), TRICKY),
    (forms.TextInput(), None),
    (forms.TextInput(), mark_safe("<already> safe")),
    (forms.TextInput(attrs={"data-x": mark_safe("<i>")}), ""),
    (forms.EmailInput(attrs={"autocomplete": "email"}), "a@b.example"),
    (forms.NumberInput(attrs={"min": 1, "step": Decimal("0.01")}), Decimal("12.50")),
    (forms.NumberInput(), 0),
    (forms.HiddenInput(), 42),
    (forms.PasswordInput(), "secret"),
    (forms.PasswordInput(render_value=True), "secret"),
    (forms.URLInput(), "https://example.com/?a=1&b=2"),
    (forms.DateInput(attrs={"type": "date"}), datetime.date(2026, 12, 7)),
    (forms.DateTimeInput(), datetime.datetime(2026, 12, 7, 9, 30)),
    (forms.TimeInput(), datetime.time(9, 30)),
    (forms.CheckboxInput(), True),
    (forms.CheckboxInput(), False),
    (forms.CheckboxInput(attrs={"class": "toggle"}), "on"),
    (forms.Textarea(), 'line one\n<line two> & "three"'),
    (forms.Textarea(attrs={"rows": 3}), ""),
    (forms.Textarea(), None),
    (forms.Select(choices=CHOICES), "NL"),
    (forms.Select(choices=CHOICES, attrs={"autocomplete": "country", "class": "wide"}), "x<y"),
    (forms.Select(choices=CHOICES), 3),
    (forms.Select(choices=CHOICES), None),
    (forms.Select(choices=GROUPED), "BE"),
    (forms.Select(choices=[]), None),
    (forms.NullBooleanSelect(), True),
    (forms.SelectMultiple(choices=CHOICES), ["NL", "3"]),
    (forms.RadioSelect(choices=CHOICES), "NL"),
    (forms.RadioSelect(choices=GROUPED, attrs={"class": "choices"}), "DE"),
    (forms.CheckboxSelectMultiple(choices=CHOICES), ["NL", "x<y"]),
    (forms.CheckboxSelectMultiple(choices=GROUPED), []),
]


@pytest.mark.parametrize("widget, value", WIDGETS, ids=lambda item: type(item).__name__)
@pytest.mark.parametrize("with_id", [True, False])
def test_each_widget_is_written_as_the_templates_write_it(widget, value, with_id):
    # Given a widget's context as the form gives it to the renderer (with an id or without)
    context = widget.get_context("field", value, {"id": "id_field"} if with_id else {})
    template = widget.template_name
    assert template in WRITERS  # the case is one the fast renderer writes itself
    # Then both renderers write the same HTML
    assert FastWidgetRenderer().render(template, context) == DjangoTemplates().render(template, context)


@pytest.mark.parametrize("widget", [forms.RadioSelect(choices=CHOICES), forms.CheckboxSelectMultiple(choices=GROUPED)])
def test_one_option_of_a_group_is_written_as_the_templates_write_it(widget):
    # Given the options of a radio group or of check boxes, each rendered alone ({{ radio.tag }})
    for group in widget.get_context("field", ["NL"], {"id": "id_field"})["widget"]["optgroups"]:
        for option, wrap_label in ((option, wrap) for option in group[1] for wrap in (False, True)):
            context = {"widget": {**option, "wrap_label": wrap_label}}  # as BoundWidget.tag() gives it
            # Then each is the same HTML as its template gives
            fast = FastWidgetRenderer().render(option["template_name"], context)
            assert fast == DjangoTemplates().render(option["template_name"], context)
            assert fast.startswith("<label" if wrap_label else "<input")


def test_a_widget_whose_options_have_a_template_of_their_own_goes_to_the_templates(tmp_path, settings):
    # Given a select whose options use a template the fast renderer does not know
    class Fancy(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    widget = Fancy(choices=[("a", "A")])
    context = widget.get_context("field", "a", {})
    # Then the output is still the templates' (the whole widget is handed to them)
    assert FastWidgetRenderer().render(widget.template_name, context) == DjangoTemplates().render(
        widget.template_name, context
    )
    assert "<select" in FastWidgetRenderer().render(widget.template_name, context)


def test_a_form_renders_with_the_fast_renderer_by_default():
    # Given the project's settings, a form without a renderer of its own uses the fast one
    class Form(forms.Form):
        name = forms.CharField()

    assert isinstance(Form().renderer, FastWidgetRenderer)
