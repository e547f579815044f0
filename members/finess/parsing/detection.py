"""Which FINESS layout a file is, told by its content, never by its name (``sniff``, ``detect``)."""

import codecs
import datetime
import pathlib
from collections.abc import Callable, Iterator

from members.finess.parsing import ej_stock, etalab_et, json_flux
from members.finess.parsing.common import (
    SNIFF_BYTES,
    CellError,
    FileKind,
    FinessFileError,
    LineError,
    Record,
    SourceFile,
    missing_columns,
    read_date,
)
from members.finess.parsing.ej_stock import EJ_STOCK_REQUIRED
from members.finess.parsing.etalab_et import ET_HEADER_REQUIRED


class FinessFile(SourceFile):
    """A recognised FINESS file, with the readers of its layout."""

    def entities(self, report: Callable[[float], None] | None = None) -> Iterator[Record | LineError]:
        if self.kind == FileKind.EJ_STOCK:
            yield from ej_stock.stock_entities(self, report)
        elif self.kind == FileKind.ETALAB_EJ:
            yield from ej_stock.etalab_entities(self, report)
        elif self.kind == FileKind.JSON_FLUX:
            yield from json_flux.json_records(self, report, want="EJ")

    def establishments(self, report: Callable[[float], None] | None = None) -> Iterator[Record | LineError]:
        if self.kind in (FileKind.ETALAB_ET, FileKind.ET_HEADER):
            yield from etalab_et.csv_establishments(self, report)
        elif self.kind == FileKind.JSON_FLUX:
            yield from json_flux.json_records(self, report, want="ET")


def _first_line(head: str) -> str:
    for line in head.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _check_header(line: str, required: tuple[str, ...], name: str) -> None:
    columns = [cell.strip() for cell in line.split(";")]
    missing = [column for column in required if column not in columns]
    if missing:
        raise missing_columns(name, missing)


def etalab_metadata(line: str) -> tuple[int | None, datetime.date | None]:
    """(rows announced, extract date) of the etalab metadata line ``finess;etalab;<n>;<date>``.

    ``n`` is the number of ``structureet`` (or ``structureej``) lines of the full extract; either
    value is None when the line does not carry a readable one.
    """
    cells = [cell.strip() for cell in line.split(";")]
    if len(cells) < 2 or cells[0].lower() != "finess" or cells[1].lower() != "etalab":
        return None, None
    rows = int(cells[2]) if len(cells) > 2 and cells[2].isdigit() else None
    try:
        date = read_date(cells[3], "date de l'extrait") if len(cells) > 3 else None
    except CellError:
        date = None
    return rows, date


def sniff(head: bytes, name: str) -> tuple[FileKind, datetime.date | None]:
    """The kind of a file from its first bytes (and the metadata date when there is one).

    Raises ``FinessFileError`` with a French message naming the file when it is not a FINESS extract.
    """
    if not head.strip():
        raise FinessFileError(f"Le fichier « {name} » est vide.")
    if b"\x00" in head:
        raise FinessFileError(f"Le fichier « {name} » n'est pas un fichier texte : ce n'est pas un extrait FINESS.")
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    first = _first_line(text)
    lowered = first.lower()
    if first.startswith("{"):
        if '"resourceType"' in first:
            raise FinessFileError(
                f"Le fichier « {name} » est une conversion FHIR de FINESS, qui n'est pas prise en charge : "
                "importez l'extrait etalab des établissements (cs1100507) ou le flux JSON de l'ANS."
            )
        if '"pmej"' in text or '"schemaVersion"' in text or first == "{":
            return FileKind.JSON_FLUX, None
    if lowered.startswith("nofinessej;rs;"):
        _check_header(lowered, EJ_STOCK_REQUIRED, name)
        return FileKind.EJ_STOCK, None
    if lowered.startswith("finess;nofinesset;nofinessej;"):
        _check_header(lowered, ET_HEADER_REQUIRED, name)
        return FileKind.ET_HEADER, None
    date = None
    if lowered.startswith("finess;etalab;"):
        _rows, date = etalab_metadata(first)
        lines = [line for line in text.splitlines()[1:] if line.strip()]
        lowered = lines[0].strip().lower() if lines else ""
        if not lowered and len(head) < SNIFF_BYTES:
            raise FinessFileError(
                f"Le fichier « {name} » ne contient que la ligne d'en-tête etalab : rien à importer."
            )
    if lowered.startswith("structureet;"):
        return FileKind.ETALAB_ET, date
    if lowered.startswith("structureej;"):
        return FileKind.ETALAB_EJ, date
    raise FinessFileError(
        f"Le fichier « {name} » n'est pas un extrait FINESS reconnu (établissements etalab cs1100507/cs1100502, "
        "entités juridiques etalab_stock_ej ou cs1100501, flux JSON de l'ANS)."
    )


def _encoding(path: pathlib.Path) -> str:
    """UTF-8 if the whole file decodes as UTF-8, else Windows-1252, else Latin-1."""
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


def detect(path: pathlib.Path, name: str | None = None) -> FinessFile:
    """Recognise a file; raises ``FinessFileError`` when it is not a FINESS extract."""
    name = name or path.name
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError:
        raise FinessFileError(f"Le fichier « {name} » ne peut pas être lu.") from None
    kind, date = sniff(head, name)
    encoding = "utf-8-sig" if kind == FileKind.JSON_FLUX else _encoding(path)
    finess_file = FinessFile(path=path, name=name, kind=kind, encoding=encoding, size=size, extract_date=date)
    if kind in (FileKind.ETALAB_ET, FileKind.ETALAB_EJ):
        text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
        finess_file.announced_rows, _date = etalab_metadata(_first_line(text))
    if kind == FileKind.JSON_FLUX:
        data = json_flux.load_json_flux(finess_file)  # a broken JSON is refused before anything is written
        try:
            finess_file.extract_date = read_date(str(data.get("generatedAt") or ""), "generatedAt")
        except CellError:
            finess_file.extract_date = None
    return finess_file
