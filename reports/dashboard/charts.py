"""Server-rendered SVG charts: geometry computed here, markup in dashboard/_bar_chart.svg.html.

A chart is a list of rows (a label and one value per series), drawn as horizontal stacked
bars, and always rendered together with a table of the same numbers (accessible, and the
place for the links to the filtered lists). Any template, also the PDF report, can embed one:
`{% include "dashboard/_bar_chart.svg.html" with chart=chart %}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

# Colours with at least 3:1 contrast against white (WCAG 1.4.11 for graphics).
PALETTE = ["#0059b3", "#358000", "#b35900", "#7b3fa0", "#a0243f", "#00707a", "#6a6a6a"]

LABEL_WIDTH = 230
BAR_AREA = 420
ROW_HEIGHT = 22
BAR_HEIGHT = 16
TOP = 30
# A phone's content width (375 px less the page margins).
NARROW_WIDTH = 340


@dataclass
class Series:
    key: str
    label: str
    color: str = ""


@dataclass
class Cell:
    value: int
    url: str = ""
    # Geometry, filled in by layout().
    x: float = 0
    width: float = 0
    color: str = ""
    series_label: str = ""


@dataclass
class Row:
    label: str
    cells: list[Cell]
    url: str = ""
    total_url: str = ""
    # After the cells: (text, url) per column, or a list of them for several links in one.
    extra: list[tuple[str, str] | list[tuple[str, str]]] = field(default_factory=list)
    y: float = 0
    text_y: float = 0

    @property
    def total(self) -> int:
        return sum(c.value for c in self.cells)


@dataclass
class Chart:
    id: str
    title: str
    series: list[Series]
    rows: list[Row]
    row_heading: str = ""
    show_total: bool = True
    extra_headings: list[str] = field(default_factory=list)
    note: str = ""
    # Geometry.
    width: int = LABEL_WIDTH + BAR_AREA + 60
    height: int = 0
    label_width: int = LABEL_WIDTH
    max_total: int = 0
    legend: list[tuple[float, Series]] = field(default_factory=list)

    def layout(self) -> Chart:
        for i, series in enumerate(self.series):
            series.color = series.color or PALETTE[i % len(PALETTE)]
        self.max_total = max((row.total for row in self.rows), default=0)
        scale = BAR_AREA / self.max_total if self.max_total else 0
        for i, row in enumerate(self.rows):
            row.y = TOP + i * ROW_HEIGHT
            row.text_y = row.y + BAR_HEIGHT - 4
            x = float(LABEL_WIDTH)
            for cell, series in zip(row.cells, self.series, strict=True):
                cell.x = x
                cell.width = round(cell.value * scale, 1)
                cell.color = series.color
                cell.series_label = series.label
                x += cell.width
        self.height = TOP + len(self.rows) * ROW_HEIGHT + 10
        # The legend wraps roughly by label length.
        x = 0.0
        self.legend = []
        for series in self.series:
            self.legend.append((x, series))
            x += 24 + 7 * len(str(series.label))
        self.width = max(self.width, int(x) + 10)
        return self

    @property
    def svg(self) -> SafeString:
        """The chart as inline SVG (built here: much faster than a template loop per bar)."""
        e = escape
        parts = [
            f'<svg class="app-chart app-chart-wide" xmlns="http://www.w3.org/2000/svg" '
            f'width="{self.width}" height="{self.height}" '
            f'viewBox="0 0 {self.width} {self.height}" role="img" '
            f'aria-labelledby="{self.id}-title {self.id}-desc" font-family="sans-serif" '
            f'font-size="12"><desc id="{self.id}-desc">'
            f"{e(_('The same numbers are in the table below the chart.'))}</desc>"
        ]
        for x, series in self.legend:
            parts.append(
                f'<rect x="{x:.0f}" y="4" width="14" height="14" fill="{series.color}"/>'
                f'<text x="{x + 18:.0f}" y="15">{e(str(series.label))}</text>'
            )
        for row in self.rows:
            label = row.label if len(row.label) <= 34 else row.label[:33] + "…"
            parts.append(
                f'<text x="{self.label_x}" y="{row.text_y:.0f}" text-anchor="end">{e(label)}</text>'
            )
            for cell in row.cells:
                if cell.width:
                    parts.append(
                        f'<rect x="{cell.x:.1f}" y="{row.y:.0f}" width="{cell.width:.1f}" '
                        f'height="{BAR_HEIGHT}" fill="{cell.color}"><title>{e(row.label)} – '
                        f"{e(str(cell.series_label))}: {cell.value}</title></rect>"
                    )
        parts.append("</svg>")
        return mark_safe("".join(parts))  # noqa: S308 (every text is escaped above)

    @property
    def narrow_svg(self) -> SafeString:
        """The chart for a phone's width: the legend one series a line, each row's label
        above its bar, the bars across the whole width, the text at a readable size."""
        e = escape
        width, legend_line, label_line = NARROW_WIDTH, 20, 18
        scale = (width - 2) / self.max_total if self.max_total else 0
        parts: list[str] = []
        y = 0
        for series in self.series:
            parts.append(
                f'<rect x="0" y="{y + 3}" width="14" height="14" fill="{series.color}"/>'
                f'<text x="20" y="{y + 15}">{e(str(series.label))}</text>'
            )
            y += legend_line
        y += 8
        for row in self.rows:
            label = row.label if len(row.label) <= 40 else row.label[:39] + "…"
            parts.append(f'<text x="0" y="{y + 14}">{e(label)}</text>')
            y += label_line + 2
            x = 0.0
            for cell in row.cells:
                bar = round(cell.value * scale, 1)
                if bar:
                    parts.append(
                        f'<rect x="{x:.1f}" y="{y}" width="{bar:.1f}" height="{BAR_HEIGHT}" '
                        f'fill="{cell.color}"><title>{e(row.label)} – '
                        f"{e(str(cell.series_label))}: {cell.value}</title></rect>"
                    )
                x += bar
            y += BAR_HEIGHT + 10
        return mark_safe(  # noqa: S308 (every text is escaped above)
            f'<svg class="app-chart app-chart-narrow" xmlns="http://www.w3.org/2000/svg" '
            f'width="{width}" height="{y}" viewBox="0 0 {width} {y}" role="img" '
            f'aria-labelledby="{self.id}-title {self.id}-ndesc" font-family="sans-serif" '
            f'font-size="14"><desc id="{self.id}-ndesc">'
            f"{e(_('The same numbers are in the table below the chart.'))}</desc>"
            + "".join(parts)
            + "</svg>"
        )

    @property
    def table_body(self) -> SafeString:
        """The table's rows (built here for speed; links go to the filtered lists)."""

        def link(text, url: str) -> str:
            return f'<a href="{escape(url)}">{escape(str(text))}</a>' if url else escape(str(text))

        def cell(text, url: str, tag: str = "td", scope: str = "") -> str:
            attrs = ' scope="row"' if scope else ""
            return f"<{tag}{attrs}>{link(text, url)}</{tag}>"

        def extra(item) -> str:
            if isinstance(item, list):
                return "<td>" + ", ".join(link(text, url) for text, url in item) + "</td>"
            return cell(*item)

        rows = []
        for row in self.rows:
            parts = [cell(row.label, row.url, "th", "row")]
            parts += [cell(c.value, c.url) for c in row.cells]
            if self.total_headings:
                parts.append(cell(row.total, row.total_url))
            parts += [extra(item) for item in row.extra]
            rows.append("<tr>" + "".join(parts) + "</tr>")
        return mark_safe("".join(rows))  # noqa: S308 (every text and URL is escaped above)

    @property
    def label_x(self) -> int:
        return self.label_width - 6

    @property
    def total_headings(self) -> bool:
        return self.show_total and len(self.series) > 1
