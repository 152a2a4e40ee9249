"""The dashboard's charts as SVG written on the server: bars only, styled with presentation
attributes (the console's Content-Security-Policy allows no inline <style>, which pygal's charts
carry, and no script is needed to read them), black on white so they print. Every chart has a
<title> and each bar its value as text, so a screen reader or a printed page reads the same."""

from dataclasses import dataclass

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

BAR = "#417690"  # the console's header blue
TEXT = "#222"
GRID = "#ccc"
FONT = 'font-family="sans-serif" font-size="11"'


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as the page writes it (a count, an amount)


def _svg(title: str, width: int, height: int, body: list[str]) -> SafeString:
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def bars_across(title: str, bars: list[Bar], *, width: int = 460, row: int = 22, label_width: int = 130) -> SafeString:
    """One horizontal bar per category (stages, ageing buckets, bands), its value at its end."""
    top = max((bar.value for bar in bars), default=0) or 1
    room = width - label_width - 90
    body = []
    for n, bar in enumerate(bars):
        y = n * row + 4
        length = max(0.0, bar.value) / top * room
        body.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" fill="{}" {}>{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>'
                '<text x="{}" y="{}" fill="{}" {}>{}</text>',
                label_width - 6, y + 13, TEXT, mark_safe(FONT), bar.label,
                label_width, y + 2, f"{length:.1f}", row - 8, BAR, bar.label, bar.shown,
                f"{label_width + length + 5:.1f}", y + 13, TEXT, mark_safe(FONT), bar.shown,
            )
        )  # fmt: skip
    return _svg(title, width, len(bars) * row + 8, body)


def bars_over_time(title: str, bars: list[Bar], *, width: int = 640, height: int = 180) -> SafeString:
    """One vertical bar per day, the highest value on the axis, every few days' date beneath."""
    top = max((bar.value for bar in bars), default=0) or 1
    left, bottom, right = 56, 28, 8
    plot_height = height - bottom - 10
    step = (width - left - right) / max(1, len(bars))
    every = max(1, round(len(bars) / 8))
    top_label = next((bar.shown for bar in bars if bar.value == top), str(top))
    body = [
        format_html(
            '<line x1="{}" y1="10" x2="{}" y2="10" stroke="{}"/><line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>'
            '<text x="{}" y="14" text-anchor="end" fill="{}" {}>{}</text>'
            '<text x="{}" y="{}" text-anchor="end" fill="{}" {}>0</text>',
            left, width - right, GRID, left, 10 + plot_height, width - right, 10 + plot_height, TEXT,
            left - 4, TEXT, mark_safe(FONT), top_label, left - 4, 10 + plot_height, TEXT, mark_safe(FONT),
        )
    ]  # fmt: skip
    for n, bar in enumerate(bars):
        bar_height = max(0.0, bar.value) / top * plot_height
        x = left + n * step
        body.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>',
                f"{x + 1:.1f}", f"{10 + plot_height - bar_height:.1f}", f"{max(1.0, step - 2):.1f}",
                f"{bar_height:.1f}", BAR, bar.label, bar.shown,
            )
        )  # fmt: skip
        if n % every == 0:
            body.append(
                format_html(
                    '<text x="{}" y="{}" fill="{}" {}>{}</text>',
                    f"{x + 1:.1f}", height - 10, TEXT, mark_safe(FONT), bar.label,
                )
            )  # fmt: skip
    return _svg(title, width, height, body)
