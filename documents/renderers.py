"""Rendering: HTML → PDF with WeasyPrint, rows → XLSX with openpyxl. Pure functions: bytes out.

WeasyPrint costs about 2 s to import: the worker loads it once when it starts (``preload``, called
by ``documents.tasks`` on ``worker_init``, before the pool forks its children); web processes never
load it. Every resource a print template refers to goes through ``LocalOnlyURLFetcher``, which
reads only files under the static folders (fonts, images) and refuses anything else (no network,
no other file): no SSRF, and nothing of a groupement's data leaves the machine (quality.md §2.5).
"""

import functools
import hashlib
import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from django.conf import settings
from django.template.loader import render_to_string
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from core.exports import safe_cell
from documents.registry import Sheet


logger = logging.getLogger(__name__)

Progress = Callable[[int, str], None]

MIME_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
PDF_VARIANT = "pdf/ua-1"
# Excel number formats; Excel shows them with the reader's separators (1 234,56 € in French).
FORMAT_EUR = '#,##0.00 "€"'
FORMAT_NUMBER = "#,##0.00"
FORMAT_INTEGER = "#,##0"
FORMAT_PERCENT = "0.00 %"
FORMAT_DATE = "dd/mm/yyyy"


@dataclass(frozen=True)
class Rendered:
    """A finished file: its bytes, format and page count (None for a workbook)."""

    content: bytes
    format: str
    page_count: int | None = None

    @functools.cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def mime_type(self) -> str:
        return MIME_TYPES[self.format]


class RefusedURLError(ValueError):
    """A print template asked for a resource outside the static folders."""


def static_roots() -> list[Path]:
    """The folders a print template may read from: the project's static folders (and collected ones)."""
    roots = [Path(path) for path in settings.STATICFILES_DIRS]
    if settings.STATIC_ROOT:
        roots.append(Path(settings.STATIC_ROOT))
    return [root.resolve() for root in roots if root.is_dir()]


def print_base_url() -> str:
    """The file URL templates' relative links resolve against: the static folder holding fonts/."""
    for root in static_roots():
        if (root / "fonts" / "DejaVuSans.ttf").is_file():
            return root.as_uri() + "/"
    raise RuntimeError("static/fonts/DejaVuSans.ttf is missing: PDFs cannot embed their fonts")


def local_path_for(url: str, roots: list[Path] | None = None) -> Path:
    """The file a ``file://`` URL names, if it lies under a static folder; else ``RefusedURLError``."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        raise RefusedURLError(f"URL refusée (seuls les fichiers statiques locaux sont permis) : {url[:200]}")
    path = Path(url2pathname(unquote(parts.path))).resolve()
    for root in roots if roots is not None else static_roots():
        if path.is_relative_to(root) and path.is_file():
            return path
    raise RefusedURLError(f"Fichier refusé (hors des dossiers statiques) : {url[:200]}")


def _weasyprint():
    """The WeasyPrint package, imported on first use (heavy: see the module docstring)."""
    import weasyprint

    return weasyprint


@functools.cache
def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalOnlyURLFetcher(URLFetcher):
        """Serves only files under the static folders; refuses every other URL, data: included."""

        def __init__(self, **kwargs):
            super().__init__(allowed_protocols=("file",), allow_redirects=False, **kwargs)
            self._roots = static_roots()

        def fetch(self, url, headers=None):
            path = local_path_for(url, self._roots)
            return URLFetcherResponse(path.as_uri(), body=path.read_bytes(), headers={})

    return LocalOnlyURLFetcher


def local_url_fetcher():
    """A new URL fetcher that reads only static files (see ``local_path_for``)."""
    return _fetcher_class()()


def preload() -> None:
    """Import WeasyPrint now (in the worker's main process, before it forks its children)."""
    started = time.monotonic()
    _weasyprint()
    _fetcher_class()
    logger.info("WeasyPrint chargé en %.1f s", time.monotonic() - started)


class _LayoutProgress(logging.Handler):
    """Turns WeasyPrint's ``weasyprint.progress`` log lines into progress reports (at most 2 a second)."""

    STEPS = {"Step 3": (45, "Application des styles"), "Step 4": (50, "Structure du document")}

    def __init__(self, progress: Progress, start: int, end: int):
        super().__init__(logging.INFO)
        self.progress, self.start, self.end = progress, start, end
        self.last = 0.0

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        now = time.monotonic()
        if message.startswith("Step 5") and "Page" in message:
            if now - self.last < 0.5:
                return
            page = int(message.rsplit(" ", 1)[-1]) if message.rsplit(" ", 1)[-1].isdigit() else 1
            span = self.end - self.start
            percent = self.start + int(span * 0.2) + int(span * 0.6 * (1 - 0.96**page))
            step = f"Mise en page : page {page}"
        elif message.startswith("Step 6"):
            percent, step = self.start + int((self.end - self.start) * 0.85), "Écriture du PDF"
        else:
            return
        self.last = now
        try:
            self.progress(percent, step)
        except Exception:  # progress is a nicety: never let it break the rendering
            logger.exception("Avancement non enregistré")


def html_to_pdf(html: str, *, progress: Progress | None = None, span: tuple[int, int] = (40, 90)) -> Rendered:
    """Render an HTML string (a print template's output) to a tagged PDF/UA-1 document."""
    weasyprint = _weasyprint()
    progress_logger = logging.getLogger("weasyprint.progress")
    handler = _LayoutProgress(progress, *span) if progress else None
    saved = progress_logger.level, progress_logger.propagate
    if handler:
        progress_logger.addHandler(handler)
        progress_logger.setLevel(logging.INFO)
        progress_logger.propagate = False
    try:
        options = {"pdf_variant": PDF_VARIANT}
        document = weasyprint.HTML(string=html, base_url=print_base_url(), url_fetcher=local_url_fetcher()).render(
            **options
        )
        content = document.write_pdf(**options)
    finally:
        if handler:
            progress_logger.removeHandler(handler)
            progress_logger.setLevel(saved[0])
            progress_logger.propagate = saved[1]
    return Rendered(content=content, format="pdf", page_count=len(document.pages))


def render_html(template: str, context: dict[str, Any]) -> str:
    """The print template's HTML for ``context`` (cheap: no layout)."""
    return render_to_string(template, context)


def render_pdf(*, template: str, context: dict[str, Any], progress: Progress | None = None) -> Rendered:
    """Render a print template to PDF (see ``html_to_pdf``)."""
    return html_to_pdf(render_html(template, context), progress=progress)


def _cell(sheet, value, *, font=None, number_format=None, alignment=None) -> WriteOnlyCell:
    """One cell; text goes through ``core.exports.safe_cell`` and is always stored as text, never a formula."""
    cell = WriteOnlyCell(sheet, value=safe_cell(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"
    if font is not None:
        cell.font = font
    if number_format is not None and value is not None:
        cell.number_format = number_format
    if alignment is not None:
        cell.alignment = alignment
    return cell


def render_xlsx(*, sheets: list[Sheet], title: str, creator: str = "gtsms", description: str = "") -> Rendered:
    """Write ``sheets`` to an XLSX workbook in write-only mode (constant memory).

    Each sheet gets a bold header row, frozen, column widths, and each column its number format.
    """
    workbook = Workbook(write_only=True)
    workbook.properties.title = title[:250]
    workbook.properties.creator = creator
    workbook.properties.description = description
    workbook.properties.language = "fr-FR"
    bold = Font(bold=True)
    header_alignment = Alignment(wrap_text=True, vertical="top")
    for spec in sheets:
        sheet = workbook.create_sheet(title=spec.name[:31])
        sheet.freeze_panes = "A2"
        for index, column in enumerate(spec.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = column.width
        sheet.append([_cell(sheet, column.header, font=bold, alignment=header_alignment) for column in spec.columns])
        formats = [column.number_format for column in spec.columns]
        for row in spec.rows:
            sheet.append([_cell(sheet, value, number_format=fmt) for value, fmt in zip(row, formats, strict=True)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return Rendered(content=buffer.getvalue(), format="xlsx")


def xlsx_mark_final(content: bytes, *, description: str) -> Rendered:
    """The same workbook with its properties saying it is final (finalising a draft XLSX)."""
    workbook = load_workbook(io.BytesIO(content))
    workbook.properties.description = description
    workbook.properties.keywords = ""
    buffer = io.BytesIO()
    workbook.save(buffer)
    return Rendered(content=buffer.getvalue(), format="xlsx")
