"""Form widgets written by Python instead of Django's widget templates: the same HTML, faster.

Every form field on a page renders through the form renderer's widget template
(`django/forms/widgets/select.html` includes one `select_option.html`, each including `attrs.html`),
and the template engine's includes are most of what a form page costs: on the checkout page
(about 25 widgets, two country lists) they were a third of the request's time. `FastWidgetRenderer`
writes the built-in templates' output itself for the common widgets (the `<input>` family,
`<select>`, `<textarea>`, radio buttons and check boxes) and hands every other template (the
admin's own widgets, a date-select, any widget with its own template name) to Django's templates as
before. The output is byte for byte what the templates give (`orders_site/core/tests/
test_form_rendering.py` compares the two over every widget of the project's forms).

Django's rules kept: a value is shown as `{{ value|stringformat:'s' }}` (escaped unless already
marked safe), a label or a group name as `{{ label }}` (localized, then escaped), an attribute set
to False is left out and one set to True is written bare.
"""

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData, SafeString, mark_safe

WIDGETS = "django/forms/widgets/"
# The widget templates that only include input.html (the renderer strips what follows it).
INPUT_TEMPLATES = frozenset(
    WIDGETS + name + ".html"
    for name in (
        "text",
        "email",
        "number",
        "hidden",
        "password",
        "url",
        "tel",
        "search",
        "date",
        "datetime",
        "time",
        "color",
        "checkbox",
        "file",
    )
)
SELECT_OPTION = WIDGETS + "select_option.html"
INPUT_OPTIONS = frozenset({WIDGETS + "radio_option.html", WIDGETS + "checkbox_option.html"})


class NotWritten(Exception):
    """This widget needs Django's templates (an option with a template of its own)."""


def _shown(value) -> str:
    """`{{ value }}`: localized, then escaped unless marked safe."""
    value = localize(value)
    if not isinstance(value, str):
        value = str(value)
    return conditional_escape(value)


def _formatted(value) -> str:
    """`{{ value|stringformat:'s' }}`: the filter keeps a safe value safe; anything else is escaped."""
    try:
        text = str(value)  # "%s" % value, as the filter does it
    except (ValueError, TypeError):
        text = ""
    return text if isinstance(value, SafeData) else escape(text)


def _attrs(attrs: dict) -> str:
    """attrs.html: ` name="value"`, ` name` for True, nothing for False."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(" " + _shown(name))
        if value is not True:
            parts.append('="' + _formatted(value) + '"')
    return "".join(parts)


def _input(widget: dict) -> str:
    """input.html."""
    value = widget.get("value")
    html = f'<input type="{_shown(widget.get("type", ""))}" name="{_shown(widget.get("name", ""))}"'
    if value is not None:
        html += f' value="{_formatted(value)}"'
    return html + _attrs(widget.get("attrs", {})) + ">\n"


def _select_option(option: dict) -> str:
    """select_option.html."""
    if option.get("template_name") != SELECT_OPTION:
        raise NotWritten
    label = _shown(option["label"])
    return f'<option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>{label}</option>\n'


def _select(widget: dict) -> str:
    """select.html."""
    parts = [f'<select name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
        for option in group_choices:
            parts.append("\n  " + _select_option(option))
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>\n")
    return "".join(parts)


def _input_option(option: dict) -> str:
    """radio_option.html / checkbox_option.html: input_option.html and a line break."""
    if option.get("template_name") not in INPUT_OPTIONS:
        raise NotWritten
    wrap = option.get("wrap_label")
    option_id = option.get("attrs", {}).get("id")
    html = ""
    if wrap:
        html = "<label" + (f' for="{_shown(option_id)}"' if option_id else "") + ">"
    html += _input(option)
    if wrap:
        html += f" {_shown(option.get('label', ''))}</label>"
    return html + "\n\n"


def _multiple_input(widget: dict) -> str:
    """radio.html / checkbox_select.html: multiple_input.html and a line break."""
    attrs = widget.get("attrs", {})
    widget_id, css_class = attrs.get("id"), attrs.get("class")
    parts = ["<div"]
    if widget_id:
        parts.append(f' id="{_shown(widget_id)}"')
    if css_class:
        parts.append(f' class="{_shown(css_class)}"')
    parts.append(">")
    for group, options, _index in widget["optgroups"]:
        if group:
            parts.append(f"\n  <div><label>{_shown(group)}</label>")
        for option in options:
            parts.append("<div>\n    " + _input_option(option) + "</div>")
        if group:
            parts.append("\n  </div>")
    parts.append("\n</div>\n\n")
    return "".join(parts)


def _textarea(widget: dict) -> str:
    """textarea.html."""
    value = widget.get("value")
    shown = _shown(value) if value else ""
    return f'<textarea name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>\n{shown}</textarea>\n'


WRITERS = {
    **dict.fromkeys(INPUT_TEMPLATES, _input),
    WIDGETS + "input.html": _input,
    WIDGETS + "select.html": _select,
    WIDGETS + "radio.html": _multiple_input,
    WIDGETS + "checkbox_select.html": _multiple_input,
    WIDGETS + "textarea.html": _textarea,
    # One radio button or check box of a group, as a template's {% for radio in field %}{{ radio.tag }} asks.
    **dict.fromkeys(INPUT_OPTIONS, _input_option),
}


class FastWidgetRenderer(DjangoTemplates):
    """Django's default form renderer, writing the common widgets' HTML without the templates."""

    def render(self, template_name, context, request=None) -> SafeString:
        writer = WRITERS.get(template_name)
        widget = context.get("widget") if writer is not None else None
        if widget is not None:
            try:
                return mark_safe(writer(widget).strip())  # as BaseRenderer.render strips the template's
            except NotWritten:
                pass
        return super().render(template_name, context, request)
