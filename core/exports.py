"""Every CSV and XLSX cell gtsms writes goes through here, so that no exported cell can run code.

OWASP "CSV injection": a spreadsheet treats a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return as a formula (``=HYPERLINK("…","clic")``, ``=cmd|…``), and openpyxl stores such a
string as a formula. ``safe_cell`` prefixes such text with an apostrophe, so it is shown as text and
never evaluated; numbers, dates, booleans and empty cells are returned as they are, so they stay
typed numbers and dates. ``csv_writer`` and ``xlsx_row`` apply it to whole rows; the XLSX renderer
(``documents.renderers.render_xlsx``) and every CSV writer use them.
"""

import csv
from collections.abc import Iterable, Sequence
from typing import Any


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value to write in an exported cell: formula-looking text prefixed with ``'``, the rest as is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in row]


class SafeCsvWriter:
    """``csv.writer`` whose rows go through ``safe_cell`` (dict rows too, by ``fieldnames``)."""

    def __init__(self, stream, *, fieldnames: Sequence[str] | None = None, delimiter: str = ";"):
        self._writer = csv.writer(stream, delimiter=delimiter, lineterminator="\r\n")
        self.fieldnames = list(fieldnames) if fieldnames is not None else None

    def _cells(self, row) -> list[Any]:
        if isinstance(row, dict):
            if self.fieldnames is None:
                raise ValueError("fieldnames are needed to write dict rows")
            row = [row.get(name, "") for name in self.fieldnames]
        return safe_row(row)

    def writeheader(self) -> None:
        self._writer.writerow(safe_row(self.fieldnames or []))

    def writerow(self, row) -> None:
        self._writer.writerow(self._cells(row))

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream, *, fieldnames: Sequence[str] | None = None, delimiter: str = ";") -> SafeCsvWriter:
    """A CSV writer (``;``, CRLF, as French spreadsheets expect) whose cells cannot run code."""
    return SafeCsvWriter(stream, fieldnames=fieldnames, delimiter=delimiter)
