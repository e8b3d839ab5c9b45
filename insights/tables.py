"""The shapes the results pages draw: tables (shown, and downloadable as CSV) and charts.

A ``Table`` holds raw values (int, Decimal, date, str or None); how a cell reads on the page is
``display`` and what the CSV holds is ``csv_value``, so the page and the download always carry
the same numbers. A ``Chart`` is the data Chart.js draws, built from a table's columns, so every
chart's numbers are also on the page as a table. No database: Django only escapes the cells.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

NO_DATA = "—"


@dataclass(frozen=True)
class Column:
    """One column: ``kind`` is text, date, count, money (in the row's ``currency``) or percent."""

    key: str
    label: str
    kind: str = "count"

    @property
    def numeric(self) -> bool:
        return self.kind in ("count", "money", "percent")


@dataclass
class Table:
    """Rows of one table; row keys that are not columns are for the page (links, buttons)."""

    key: str
    title: str
    columns: Sequence[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    empty: str = "No numbers in this range yet."
    note: str = ""
    csv_url: str = ""
    # Rows shown on the page (0: all); the CSV always has every row.
    limit: int = 0

    @property
    def hidden_rows(self) -> int:
        return max(0, len(self.rows) - self.limit) if self.limit else 0

    def cells(self) -> list[tuple[dict[str, Any], str, SafeString]]:
        """Return each row shown: the row, its first cell's text, and its other cells as HTML.

        The cells are joined here rather than in the template: a year's tables have thousands
        of cells, and the template language spent most of a page's time on them.
        """
        shown = self.rows[: self.limit] if self.limit else self.rows
        first, rest = self.columns[0], self.columns[1:]
        return [
            (row, display(row.get(first.key), first, row), _cells_html(rest, row)) for row in shown
        ]

    def csv_rows(self) -> Iterable[list[str]]:
        """Yield the header, then each row as the CSV holds it (money with its currency)."""
        header: list[str] = []
        for column in self.columns:
            header.append(column.label)
            if column.kind == "money":
                header.append(f"{column.label} currency")
        yield header
        for row in self.rows:
            line: list[str] = []
            for column in self.columns:
                line.append(csv_value(row.get(column.key)))
                if column.kind == "money":
                    line.append(
                        str(row.get("currency") or "") if row.get(column.key) is not None else ""
                    )
            yield line


MISSING_HTML = '<span title="No data">—</span><span class="visually-hidden">no data</span>'


def _cells_html(columns: Sequence[Column], row: dict[str, Any]) -> SafeString:
    parts = []
    for column in columns:
        text = display(row.get(column.key), column, row)
        inner = MISSING_HTML if text == NO_DATA and column.numeric else escape(text)
        opening = "<td>" if column.numeric else '<td class="text">'  # app.css: .results-table
        parts.append(f"{opening}{inner}</td>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def _grouped(number: int) -> str:
    return f"{number:,}"


def display(value: Any, column: Column, row: dict[str, Any] | None = None) -> str:
    """Return how a cell reads: thousands grouped, money with its currency, "—" for no data."""
    if value is None or value == "":
        return NO_DATA if column.numeric else ""
    if column.kind == "date" and isinstance(value, date):
        return value.strftime("%b %-d, %Y")
    if column.kind == "count":
        return _grouped(int(value))
    if column.kind == "money":
        amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        currency = (row or {}).get("currency") or ""
        return f"{amount:,} {currency}".strip()
    if column.kind == "percent":
        return f"{float(value) * 100:.2f} %"
    return str(value)


# A cell starting with one of these is a formula to a spreadsheet (CSV injection): quote it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_value(value: Any) -> str:
    """Return a cell as the CSV holds it: plain numbers, ISO dates, "" for no data."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".") or "0"
    if isinstance(value, int | Decimal):
        return str(value)
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


@dataclass(frozen=True)
class Series:
    """One line or bar set: its label, the table column it charts, and its axis."""

    key: str
    label: str
    axis: str = "y"


@dataclass
class Chart:
    """What Chart.js draws: x labels and, per series, one value (or None: a gap) per label."""

    key: str
    title: str
    kind: str  # "line" or "bar"
    labels: list[str]
    series: list[dict[str, Any]]
    axes: dict[str, str]
    table_key: str = ""

    def as_data(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "labels": self.labels,
            "series": self.series,
            "axes": self.axes,
        }


def _number(value: Any) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, int):
        return value
    return float(value)


def chart_by_day(
    table: Table,
    *,
    key: str,
    title: str,
    days: Sequence[date],
    series: Sequence[Series],
    axes: dict[str, str],
    kind: str = "line",
) -> Chart:
    """Return a chart of ``table``'s rows by their ``day``, one point per day of ``days``.

    Days without a row are gaps (None), never zeros.
    """
    by_day = {row["day"]: row for row in table.rows}
    return Chart(
        key=key,
        title=title,
        kind=kind,
        labels=[day.isoformat() for day in days],
        series=[
            {
                "label": one.label,
                "axis": one.axis,
                "data": [_number(by_day.get(day, {}).get(one.key)) for day in days],
            }
            for one in series
        ],
        axes=axes,
        table_key=table.key,
    )


def chart_by_row(
    table: Table,
    *,
    key: str,
    title: str,
    label_key: str,
    series: Sequence[Series],
    axes: dict[str, str],
    scale: float = 1.0,
) -> Chart:
    """Return a bar chart with one group per row of ``table`` (labelled by ``label_key``)."""
    return Chart(
        key=key,
        title=title,
        kind="bar",
        labels=[str(row.get(label_key) or "") for row in table.rows],
        series=[
            {
                "label": one.label,
                "axis": one.axis,
                "data": [
                    None if (v := _number(row.get(one.key))) is None else v * scale
                    for row in table.rows
                ],
            }
            for one in series
        ],
        axes=axes,
        table_key=table.key,
    )
