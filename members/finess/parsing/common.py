"""What every FINESS layout shares: errors, kinds, records, cell readers, the file being read.

The layouts themselves: ``etalab_et`` (establishment CSV extracts), ``ej_stock`` (legal-entity CSV
extracts), ``json_flux`` (the ANS flux); ``detection`` tells which one a file is.
"""

import csv
import datetime
import enum
import io
import pathlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from core.exceptions import BusinessRuleError
from core.validators import finess_error, luhn_ok
from members.models import Establishment, LegalEntity
from members.territories import DEPARTEMENTS, departement_code_from_finess


SNIFF_BYTES = 64 * 1024
TWO_PLACES = Decimal("0.01")
SIX_PLACES = Decimal("0.000001")


class FinessFileError(BusinessRuleError):
    """The file is not a FINESS extract this importer can read: it is refused whole."""


def missing_columns(name: str, missing: list[str]) -> FinessFileError:
    """The refusal of a file whose header lacks required columns."""
    return FinessFileError(f"Le fichier « {name} » n'a pas les colonnes attendues : {', '.join(missing)} manquantes.")


class FileKind(enum.StrEnum):
    ETALAB_ET = "ETALAB_ET"
    ET_HEADER = "ET_HEADER"
    EJ_STOCK = "EJ_STOCK"
    ETALAB_EJ = "ETALAB_EJ"
    JSON_FLUX = "JSON_FLUX"

    @property
    def label(self) -> str:
        return {
            "ETALAB_ET": "extrait des établissements (etalab cs1100507/cs1100502)",
            "ET_HEADER": "extrait des établissements (ancienne présentation avec en-tête)",
            "EJ_STOCK": "extrait des entités juridiques (etalab_stock_ej)",
            "ETALAB_EJ": "extrait des entités juridiques (etalab cs1100501)",
            "JSON_FLUX": "flux JSON des structures (ANS)",
        }[self.value]

    @property
    def has_entities(self) -> bool:
        return self in (FileKind.EJ_STOCK, FileKind.ETALAB_EJ, FileKind.JSON_FLUX)

    @property
    def has_establishments(self) -> bool:
        return self in (FileKind.ETALAB_ET, FileKind.ET_HEADER, FileKind.JSON_FLUX)

    @property
    def import_order(self) -> int:
        """Legal entities first, so that establishments find their EJ (and its statut)."""
        return {"EJ_STOCK": 0, "ETALAB_EJ": 0, "JSON_FLUX": 1, "ETALAB_ET": 2, "ET_HEADER": 2}[self.value]


@dataclass(slots=True)
class Record:
    """One legal entity or establishment read from a file, with the model fields the file carries."""

    line: int
    finess: str
    values: dict[str, object]
    legal_entity_finess: str = ""


@dataclass(slots=True)
class LineError:
    """A line that could not be read; ``finess`` is what stood in the FINESS cell, if anything."""

    line: int
    reason: str
    finess: str = ""
    counts: bool = True  # False for geolocation lines: their establishment is imported anyway


class CellError(ValueError):
    """A cell that cannot be read; the message is the French reason."""


# --- Cell readers --------------------------------------------------------------------------------


def read_date(value: str, column: str) -> datetime.date | None:
    """``YYYY-MM-DD`` (a time part is ignored) or ``DD/MM/YYYY``; empty → None."""
    value = value.strip()
    if not value:
        return None
    try:
        if len(value) >= 10 and value[4] == "-":
            return datetime.date.fromisoformat(value[:10])
        if len(value) == 10 and value[2] == "/" and value[5] == "/":
            return datetime.date(int(value[6:]), int(value[3:5]), int(value[:2]))
    except ValueError:
        pass
    raise CellError(f"date invalide « {value} » (colonne {column})")


def read_decimal(value: str, column: str, places: Decimal, limit: int) -> Decimal | None:
    """A decimal rounded to the model's places; empty → None. Accepts a decimal comma."""
    value = value.strip().replace(",", ".")
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise CellError(f"nombre invalide « {value} » (colonne {column})") from None
    if not number.is_finite() or abs(number) >= limit:
        raise CellError(f"nombre hors limites « {value} » (colonne {column})")
    return number.quantize(places)


def read_finess(value: str, column: str) -> str:
    value = value.strip()
    if (error := finess_error(value)) is not None:
        raise CellError(f"{error} (colonne {column})")
    return value


def read_siret(value: str) -> str:
    """A valid SIRET, or empty: spreadsheet-mangled values (``2,601E+13``) are dropped, not guessed."""
    value = value.strip()
    return value if len(value) == 14 and value.isdigit() and luhn_ok(value) else ""


def read_siren(value: str) -> str:
    value = value.strip()
    return value if len(value) == 9 and value.isdigit() else ""


def read_ape(value: str) -> str:
    """APE code without its dot: the JSON flux writes ``87.10A``, the CSV extracts ``8710A``."""
    return value.strip().replace(".", "")


def finess_departement(value: str) -> str:
    """The département cell as FINESS writes it, padded when a spreadsheet dropped the zero (``1``)."""
    value = value.strip().upper()
    return f"0{value}" if len(value) == 1 and value.isdigit() else value


def departement_id(finess_code: str) -> str | None:
    """INSEE code of a known département (9A → 971 …), None when unknown (9J Wallis-et-Futuna…)."""
    code = departement_code_from_finess(finess_code)
    return code if code in DEPARTEMENTS else None


def commune_insee(finess_departement_code: str, commune: str) -> str:
    """Full INSEE commune code from the département cell and the 3-character commune cell.

    Overseas, FINESS writes the département as a letter code (9A…9F for 971…976, 9G and after for
    the collectivités 98x) and the commune cell already holds the last digit of the département
    (9A + 123 = 97123, 9J + 613 = 98613).
    """
    commune = commune.strip()
    if not commune:
        return ""
    if commune.isdigit() and len(commune) < 3:  # a spreadsheet dropped the leading zeros
        commune = commune.zfill(3)
    if (
        len(finess_departement_code) == 2
        and finess_departement_code[0] == "9"
        and finess_departement_code[1].isalpha()
    ):
        prefix = "97" if finess_departement_code[1] <= "F" else "98"
        return prefix + commune
    return finess_departement_code + commune


def departement_from_commune(cog: str) -> str:
    """The INSEE département of an INSEE commune code (01143 → 01, 97123 → 971, 2A004 → 2A)."""
    cog = cog.strip()
    if len(cog) != 5:
        return ""
    return cog[:3] if cog[:2] in ("97", "98") else cog[:2]


def _max_lengths(model) -> dict[str, int]:
    return {f.attname: f.max_length for f in model._meta.concrete_fields if getattr(f, "max_length", None)}


MAX_LENGTHS = {"ET": _max_lengths(Establishment), "EJ": _max_lengths(LegalEntity)}


def check_lengths(values: dict[str, object], model_key: str) -> None:
    limits = MAX_LENGTHS[model_key]
    for name, value in values.items():
        limit = limits.get(name)
        if limit and isinstance(value, str) and len(value) > limit:
            model = Establishment if model_key == "ET" else LegalEntity
            verbose = model._meta.get_field(name).verbose_name
            raise CellError(f"valeur trop longue pour « {verbose} » ({len(value)} caractères, {limit} au plus)")


def address_values(row: dict[str, str]) -> dict[str, str]:
    """The address and contact columns, named alike in the ET and EJ extracts."""
    return {
        "complement": row.get("complrs", "").strip(),
        "distribution_complement": row.get("compldistrib", "").strip(),
        "street_number": row.get("numvoie", "").strip(),
        "street_type": row.get("typvoie", "").strip(),
        "street_name": row.get("voie", "").strip(),
        "street_complement": row.get("compvoie", "").strip(),
        "locality": row.get("lieuditbp", "").strip(),
        "routing_line": row.get("ligneacheminement", "").strip(),
        "phone": row.get("telephone", "").strip(),
        "fax": row.get("telecopie", "").strip(),
    }


@dataclass
class SourceFile:
    """A FINESS file recognised by ``detection.detect``: its kind, encoding and extract date.

    The readers of each layout (``etalab_et``, ``ej_stock``, ``json_flux``) take it;
    ``detection.FinessFile`` adds the methods that pick the reader of its kind.
    """

    path: pathlib.Path
    name: str
    kind: FileKind
    encoding: str
    size: int
    extract_date: datetime.date | None = None
    announced_rows: int | None = None  # rows the etalab metadata line announces (full extract check)
    json_data: dict | None = field(default=None, repr=False)

    def release(self) -> None:
        """Forget the parsed JSON flux once the file is imported."""
        self.json_data = None

    def open_text(self) -> tuple[io.BufferedReader, io.TextIOWrapper]:
        raw = open(self.path, "rb")  # noqa: SIM115 - closed by the caller through the text wrapper
        return raw, io.TextIOWrapper(raw, encoding=self.encoding, newline="")

    def rows(self, report: Callable[[float], None] | None = None) -> Iterator[tuple[int, list[str]]]:
        """(physical line number, cells) of every non-empty line, with the read position reported."""
        raw, text = self.open_text()
        with text:
            reader = csv.reader(text, delimiter=";", quotechar='"', doublequote=True, strict=False)
            count = 0
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as error:
                    yield reader.line_num, ["__csv_error__", str(error)]
                    continue
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                yield reader.line_num, cells
                count += 1
                if report is not None and count % 2000 == 0:
                    report(raw.tell() / self.size if self.size else 1.0)
