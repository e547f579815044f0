"""Reading FINESS extracts: what kind of file it is, and its records, one by one.

The kind of a file is told by its content, never by its name (``sniff``). Supported layouts
(data/finess/README.md, domain.md §5.4):

- ``ETALAB_ET``: the establishment extract etalab-cs1100507 (geolocated) or cs1100502: an optional
  metadata line ``finess;etalab;<n>;<date>``, ``structureet;…`` lines (32 cells with the trailing
  ``;``), then ``geolocalisation;…`` lines (Lambert 93 in metropolitan France);
- ``ET_HEADER``: the older establishment layout with a header line ``finess;nofinesset;nofinessej;…``
  (jdflaugergues/api.pharmacieplus sample), dates written DD/MM/YYYY;
- ``EJ_STOCK``: the legal-entity stock etalab_stock_ej_* with its header line (30 columns);
- ``ETALAB_EJ``: the headerless legal-entity extract etalab-cs1100501 (``structureej;…`` lines). Its
  column order is the one of the published notice (etalab_cs1100501.pdf), as extracted in
  GuillaumePressiat/finess_etalab (data_results/formats/format_etalabcs1100501.csv): no real line of
  it was available to test, so lines with another number of cells are rejected, never guessed;
- ``JSON_FLUX``: the ANS daily "structures" flux (``pmej[]`` with nested ``ege[]``).

The FHIR conversion (finess-fhir ndjson) is recognised only to be refused with a clear message.

Encoding: UTF-8 when the whole file decodes as UTF-8, else Windows-1252 (the historical extracts),
else Latin-1. Line ends CRLF or LF. Fields may be quoted with doubled quotes (csv module).
Every record carries only the model fields its layout carries, so that importing a poorer layout
never blanks what a richer one wrote.
"""

import codecs
import csv
import datetime
import enum
import io
import json
import pathlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from core.exceptions import BusinessRuleError
from core.validators import finess_error, luhn_ok
from members.eligibility import normalize_code
from members.models import Establishment, LegalEntity
from members.territories import DEPARTEMENTS, departement_code_from_finess


SNIFF_BYTES = 64 * 1024
TWO_PLACES = Decimal("0.01")
SIX_PLACES = Decimal("0.000001")


class FinessFileError(BusinessRuleError):
    """The file is not a FINESS extract this importer can read: it is refused whole."""


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


# --- Builders: one row (as a name → cell mapping) to the model fields --------------------------


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


def establishment_values(row: dict[str, str]) -> tuple[str, str, dict[str, object]]:
    """(ET finess, EJ finess, values) of a ``structureet`` row, with the column names of the notice."""
    finess = read_finess(row.get("nofinesset", ""), "nofinesset")
    ej = read_finess(row.get("nofinessej", ""), "nofinessej")
    name = row.get("rs", "").strip()
    if not name:
        raise CellError("raison sociale vide (colonne rs)")
    dep = finess_departement(row.get("departement", ""))
    values = {
        "name": name,
        "long_name": row.get("rslongue", "").strip(),
        **address_values(row),
        "commune_code": commune_insee(dep, row.get("commune", "")),
        "departement_id": departement_id(dep),
        "category_code": row.get("categetab", "").strip(),
        "category_label": row.get("libcategetab", "").strip(),
        "aggregate_code": row.get("categagretab", "").strip(),
        "aggregate_label": row.get("libcategagretab", "").strip(),
        "siret": read_siret(row.get("siret", "")),
        "ape_code": read_ape(row.get("codeape", "")),
        "mft_code": row.get("codemft", "").strip(),
        "mft_label": row.get("libmft", "").strip(),
        "sph_code": row.get("codesph", "").strip(),
        "sph_label": row.get("libsph", "").strip(),
        "opened_on": read_date(row.get("dateouv", ""), "dateouv"),
        "authorized_on": read_date(row.get("dateautor", ""), "dateautor"),
        "finess_updated_on": read_date(row.get("datemaj", ""), "datemaj"),
    }
    check_lengths(values, "ET")
    return finess, ej, values


def entity_values(row: dict[str, str], *, with_update_date: bool = True) -> tuple[str, dict[str, object]]:
    """(EJ finess, values) of a legal-entity row, with the column names of the etalab_stock_ej header."""
    finess = read_finess(row.get("nofinessej", ""), "nofinessej")
    name = row.get("rs", "").strip()
    if not name:
        raise CellError("raison sociale vide (colonne rs)")
    statut = normalize_code(row.get("statutjuridique", ""))
    if not (len(statut) in (2, 3) and statut.isdigit()):
        raise CellError(f"statut juridique invalide « {statut} » (colonne statutjuridique)")
    dep = finess_departement(row.get("departement", ""))
    cog = row.get("cog", "").strip() or commune_insee(dep, row.get("commune", ""))
    values = {
        "name": name,
        "long_name": row.get("rslongue", "").strip(),
        **address_values(row),
        "departement_code": departement_code_from_finess(dep),
        "commune_code": cog,
        "category_code": row.get("categej", "").strip(),
        "category_label": (row.get("libcategej", "") or row.get("liblongcategej", "")).strip(),
        "statut_code": statut,
        "statut_label": row.get("libstatutjuridique", "").strip(),
        "siren": read_siren(row.get("siren", "")),
        "ape_code": read_ape(row.get("codeape", "")),
        "created_on": read_date(row.get("datecrea", ""), "datecrea"),
    }
    if with_update_date:
        values["finess_updated_on"] = read_date(row.get("datemaj", ""), "datemaj")
    check_lengths(values, "EJ")
    return finess, values


# --- Layouts -------------------------------------------------------------------------------------

# structureet columns, 0-based, as in the cs1100507 notice (domain.md §5.4; format_etalabcs1100507.csv).
ET_COLUMNS = (
    "finess", "nofinesset", "nofinessej", "rs", "rslongue", "complrs", "compldistrib", "numvoie", "typvoie",
    "voie", "compvoie", "lieuditbp", "commune", "departement", "libdepartement", "ligneacheminement", "telephone",
    "telecopie", "categetab", "libcategetab", "categagretab", "libcategagretab", "siret", "codeape", "codemft",
    "libmft", "codesph", "libsph", "dateouv", "dateautor", "datemaj",
)  # fmt: skip
# structureej columns of the cs1100501 notice; renamed to the etalab_stock_ej names where they differ.
EJ501_COLUMNS = (
    "finess", "nofinessej", "rs", "rslongue", "complrs", "numvoie", "typvoie", "voie", "compvoie", "compldistrib",
    "lieuditbp", "commune", "ligneacheminement", "departement", "libdepartement", "telephone", "statutjuridique",
    "libstatutjuridique", "categej", "libcategej", "siren", "codeape", "datecrea",
)  # fmt: skip
EJ_STOCK_REQUIRED = ("nofinessej", "rs", "statutjuridique")
ET_HEADER_REQUIRED = ("nofinesset", "nofinessej", "rs", "categetab")


@dataclass
class FinessFile:
    """A FINESS file recognised by ``detect``: its kind, encoding and extract date."""

    path: pathlib.Path
    name: str
    kind: FileKind
    encoding: str
    size: int
    extract_date: datetime.date | None = None
    json_data: dict | None = field(default=None, repr=False)

    def release(self) -> None:
        """Forget the parsed JSON flux once the file is imported."""
        self.json_data = None

    # --- shared helpers ---

    def _open(self) -> tuple[io.BufferedReader, io.TextIOWrapper]:
        raw = open(self.path, "rb")  # noqa: SIM115 - closed by the caller through the text wrapper
        return raw, io.TextIOWrapper(raw, encoding=self.encoding, newline="")

    def _rows(self, report: Callable[[float], None] | None = None) -> Iterator[tuple[int, list[str]]]:
        """(physical line number, cells) of every non-empty line, with the read position reported."""
        raw, text = self._open()
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

    # --- legal entities ---

    def entities(self, report: Callable[[float], None] | None = None) -> Iterator[Record | LineError]:
        if self.kind == FileKind.EJ_STOCK:
            yield from self._stock_entities(report)
        elif self.kind == FileKind.ETALAB_EJ:
            yield from self._etalab_entities(report)
        elif self.kind == FileKind.JSON_FLUX:
            yield from self._json_records(report, want="EJ")

    def _stock_entities(self, report) -> Iterator[Record | LineError]:
        header: list[str] | None = None
        for line, cells in self._rows(report):
            if header is None:
                header = [cell.strip().lower() for cell in cells]
                missing = [name for name in EJ_STOCK_REQUIRED if name not in header]
                if missing:
                    raise FinessFileError(
                        f"Le fichier « {self.name} » n'a pas les colonnes attendues : {', '.join(missing)} manquantes."
                    )
                continue
            if cells[0] == "__csv_error__":
                yield LineError(line, f"ligne illisible ({cells[1]})")
                continue
            if len(cells) != len(header):
                yield LineError(
                    line, f"nombre de colonnes inattendu : {len(cells)} au lieu de {len(header)}", cells[0].strip()
                )
                continue
            try:
                finess, values = entity_values(dict(zip(header, cells, strict=True)))
            except CellError as error:
                yield LineError(line, str(error), cells[0].strip())
                continue
            yield Record(line, finess, values)

    def _etalab_entities(self, report) -> Iterator[Record | LineError]:
        expected = len(EJ501_COLUMNS)
        for line, cells in self._rows(report):
            kind = cells[0].strip().lower()
            if kind == "finess" and len(cells) >= 2 and cells[1].strip().lower() == "etalab":
                continue
            if kind == "__csv_error__":
                yield LineError(line, f"ligne illisible ({cells[1]})")
                continue
            if kind != "structureej":
                yield LineError(line, f"type de ligne inattendu « {cells[0][:30]} »")
                continue
            # The notice's line ends with ";" like structureet: one empty cell more is allowed.
            if len(cells) == expected + 1 and not cells[-1].strip():
                cells = cells[:-1]
            if len(cells) != expected:
                finess = cells[1].strip() if len(cells) > 1 else ""
                yield LineError(line, f"nombre de colonnes inattendu : {len(cells)} au lieu de {expected}", finess)
                continue
            try:
                finess, values = entity_values(dict(zip(EJ501_COLUMNS, cells, strict=True)), with_update_date=False)
            except CellError as error:
                yield LineError(line, str(error), cells[1].strip())
                continue
            yield Record(line, finess, values)

    # --- establishments ---

    def establishments(self, report: Callable[[float], None] | None = None) -> Iterator[Record | LineError]:
        if self.kind in (FileKind.ETALAB_ET, FileKind.ET_HEADER):
            yield from self._csv_establishments(report)
        elif self.kind == FileKind.JSON_FLUX:
            yield from self._json_records(report, want="ET")

    def _geolocations(self) -> tuple[dict[str, tuple], list[LineError]]:
        """First pass: the ``geolocalisation`` lines (at the end of the file), by ET finess."""
        positions: dict[str, tuple] = {}
        errors: list[LineError] = []
        for line, cells in self._rows():
            if cells[0].strip().lower() != "geolocalisation":
                continue
            # nofinesset;coordxet;coordyet;sourcecoordet;datemaj. A spreadsheet-saved file splits the
            # source on its commas into several cells: they are joined back.
            if len(cells) < 6:
                errors.append(
                    LineError(line, "coordonnées ignorées : ligne de géolocalisation incomplète", counts=False)
                )
                continue
            finess = cells[1].strip()
            source = ",".join(cell.strip() for cell in cells[4:-1])
            try:
                x = read_decimal(cells[2], "coordxet", TWO_PLACES, 10**10)
                y = read_decimal(cells[3], "coordyet", TWO_PLACES, 10**10)
            except CellError as error:
                errors.append(LineError(line, f"coordonnées ignorées : {error}", finess, counts=False))
                continue
            positions[finess] = (x, y, source[:200])
        return positions, errors

    def _csv_establishments(self, report) -> Iterator[Record | LineError]:
        positions, geo_errors = self._geolocations()
        has_geolocation = bool(positions) or bool(geo_errors)
        yield from geo_errors
        # The published lines end with ";": 31 named cells and an empty 32nd one. The count must be
        # exact, so that a line missing a cell is rejected instead of read with shifted columns.
        header: tuple[str, ...] | None = (*ET_COLUMNS, "") if self.kind == FileKind.ETALAB_ET else None
        for line, cells in self._rows(report):
            kind = cells[0].strip().lower()
            if kind == "__csv_error__":
                yield LineError(line, f"ligne illisible ({cells[1]})")
                continue
            if header is None:  # ET_HEADER: the first line names the columns (and ends with ";" too)
                header = tuple(cell.strip().lower() for cell in cells)
                missing = [name for name in ET_HEADER_REQUIRED if name not in header]
                if missing:
                    raise FinessFileError(
                        f"Le fichier « {self.name} » n'a pas les colonnes attendues : {', '.join(missing)} manquantes."
                    )
                continue
            if kind == "geolocalisation":
                continue
            if kind == "finess" and len(cells) >= 2 and cells[1].strip().lower() == "etalab":
                continue
            if kind != "structureet":
                yield LineError(line, f"type de ligne inattendu « {cells[0][:30]} »")
                continue
            if len(cells) != len(header):
                finess = cells[1].strip() if len(cells) > 1 else ""
                yield LineError(line, f"nombre de colonnes inattendu : {len(cells)} au lieu de {len(header)}", finess)
                continue
            try:
                finess, ej, values = establishment_values(dict(zip(header, cells, strict=True)))
            except CellError as error:
                yield LineError(line, str(error), cells[1].strip())
                continue
            if has_geolocation:
                x, y, source = positions.get(finess, (None, None, ""))
                values.update(coord_x=x, coord_y=y, coord_source=source)
            # A stock extract lists open establishments (closing is decided by the importer).
            values.update(closed=False, closed_on=None)
            yield Record(line, finess, values, legal_entity_finess=ej)

    # --- JSON flux ---

    def _json_records(self, report, *, want: str) -> Iterator[Record | LineError]:
        """Records of the ANS flux; ``line`` is the record's rank in the file (1-based, EJ and ET)."""
        data = load_json_flux(self)
        rank = 0
        items = data.get("pmej") or []
        for index, pmej in enumerate(items, start=1):
            rank += 1
            info = pmej.get("informationsGeneralesPMEJ") if isinstance(pmej, dict) else None
            if not isinstance(info, dict):
                if want == "EJ":
                    yield LineError(rank, f"structure inattendue (pmej n° {index} sans informationsGeneralesPMEJ)")
                continue
            ej_number = str(info.get("numFinessPm") or "").strip()
            if want == "EJ":
                yield _guard(_json_entity, rank, index, pmej)
            for ege_index, ege in enumerate(pmej.get("ege") or [], start=1):
                rank += 1
                if want == "ET":
                    yield _guard(_json_establishment, rank, index, ege_index, ege, ej_number)
            if report is not None and index % 500 == 0:
                report(index / len(items))


def _guard(build: Callable[..., Record | LineError], rank: int, *args) -> Record | LineError:
    """A record of the flux, or a rejected line when its structure is not the schema's."""
    try:
        return build(rank, *args)
    except (AttributeError, TypeError, KeyError):
        return LineError(rank, f"structure inattendue (élément n° {rank} du flux)")


def _text(data: dict, key: str) -> str:
    value = data.get(key)
    return str(value).strip() if value is not None else ""


def _json_address(addresses: list, usage: str) -> tuple[dict[str, object], dict]:
    """Model address fields from the ANS ``adresse[]`` (the one of ``usage``, else the first)."""
    if not addresses:
        return {}, {}
    address = next((a for a in addresses if a.get("usageAdresse") == usage), addresses[0])
    postal_code, city = _text(address, "codePostal"), _text(address, "ligneAcheminement")
    values = {
        "street_number": _text(address, "numeroVoie"),
        "street_type": _text(address, "typeVoie"),
        "street_name": _text(address, "libelleVoie"),
        "street_complement": _text(address, "complementVoie"),
        "locality": _text(address, "lieuDit"),
        "distribution_complement": _text(address, "complementPointGeographique"),
        "commune_code": _text(address, "cogCommune"),
        "routing_line": f"{postal_code} {city}".strip(),
    }
    return values, address


def _json_contact(contacts: list) -> dict[str, object]:
    telecom = next((c.get("telecom") or {} for c in contacts or [] if c.get("telecom")), {})
    return {"phone": _text(telecom, "telephone"), "fax": _text(telecom, "telecopie")}


def _json_state(node: dict, info: dict) -> dict[str, object]:
    """Closed when the état is I (inactive) or a closing date is given; closed_on is that date."""
    closing = read_date(_text(info, "dateFermeture"), "dateFermeture")
    if _text(node, "etatObjet") == "I" or closing is not None:
        return {"closed": True, "closed_on": closing or read_date(_text(node, "dateDerniereMaj"), "dateDerniereMaj")}
    return {"closed": False, "closed_on": None}


def _json_entity(rank: int, index: int, pmej: dict) -> Record | LineError:
    info = pmej.get("informationsGeneralesPMEJ") or {}
    where = f"pmej n° {index}"
    try:
        finess = read_finess(_text(info, "numFinessPm"), f"numFinessPm, {where}")
        name = _text(info, "denominationPm")
        if not name:
            raise CellError(f"raison sociale vide (denominationPm, {where})")
        statut = normalize_code(_text(info, "statutJuridique"))
        if not (len(statut) in (2, 3) and statut.isdigit()):
            raise CellError(f"statut juridique invalide « {statut} » (statutJuridique, {where})")
        address, _ = _json_address(pmej.get("adresse") or [], usage="02")
        values = {
            "name": name,
            "long_name": _text(info, "denominationLonguePmSmsse"),
            # The sample's value ("ASS AFIS") is a complement of the name, not of the address.
            "complement": _text(info, "complementAdressePmSmsse"),
            "statut_code": statut,
            "siren": read_siren(_text(info, "siren")),
            "ape_code": read_ape(_text(info, "codeApe")),
            "created_on": read_date(_text(info, "dateCreation"), f"dateCreation, {where}"),
            "finess_updated_on": read_date(_text(pmej, "dateDerniereMaj"), f"dateDerniereMaj, {where}"),
            **address,
            "departement_code": departement_from_commune(str(address.get("commune_code", ""))),
            **_json_contact(pmej.get("contact") or []),
            **_json_state(pmej, info),
        }
        check_lengths(values, "EJ")
    except CellError as error:
        return LineError(rank, str(error), _text(info, "numFinessPm"))
    return Record(rank, finess, values)


def _json_coordinates(address: dict) -> dict[str, object]:
    coordinates = address.get("coordonneesGeographique")
    if not coordinates:
        return {"coord_x": None, "coord_y": None, "coord_source": "", "latitude": None, "longitude": None}
    x = read_decimal(_text(coordinates, "coordonneeX"), "coordonneeX", TWO_PLACES, 10**10)
    y = read_decimal(_text(coordinates, "coordonneeY"), "coordonneeY", TWO_PLACES, 10**10)
    # The ANS sample writes the Lambert 93 northing in coordonneeX and the easting in coordonneeY
    # (X = 6 589 480, Y = 941 342 for Divonne-les-Bains, whose easting is about 941 000). Metropolitan
    # Lambert 93 eastings are below 1 300 000 and northings above 6 000 000, so such a pair is swapped back.
    if x is not None and y is not None and x > 6_000_000 and y < 1_300_000:
        x, y = y, x
    score = _text(coordinates, "scoreBAN")
    source = "ANS flux structures, BAN" + (f" (score {score[:6]})" if score else "")
    return {
        "coord_x": x,
        "coord_y": y,
        "coord_source": source,
        "latitude": read_decimal(_text(coordinates, "directionLatitude"), "directionLatitude", SIX_PLACES, 1000),
        "longitude": read_decimal(_text(coordinates, "directionLongitude"), "directionLongitude", SIX_PLACES, 1000),
    }


def _json_establishment(rank: int, index: int, ege_index: int, ege: dict, ej_number: str) -> Record | LineError:
    info = ege.get("informationsGeneralesEGE") or {}
    where = f"pmej n° {index}, ege n° {ege_index}"
    try:
        finess = read_finess(_text(info, "numFinessEge"), f"numFinessEge, {where}")
        ej = read_finess(ej_number, f"numFinessPm, {where}")
        name = _text(info, "nomEgeCourt")
        if not name:
            raise CellError(f"raison sociale vide (nomEgeCourt, {where})")
        address, raw_address = _json_address(ege.get("adresse") or [], usage="03")
        commune = str(address.get("commune_code", ""))
        values = {
            "name": name,
            "long_name": _text(info, "nomEgeLong"),
            "complement": _text(info, "complementDenominationEg"),
            "category_code": _text(ege, "categorieentiteGeographiqueExercice"),
            "mft_code": _text(ege, "modefixationtarifaire"),
            "siret": read_siret(_text(info, "siret")),
            "opened_on": read_date(_text(info, "dateOuverture"), f"dateOuverture, {where}"),
            "authorized_on": read_date(_text(info, "datePremiereAutorisation"), f"datePremiereAutorisation, {where}"),
            "finess_updated_on": read_date(_text(ege, "dateDerniereMaj"), f"dateDerniereMaj, {where}"),
            **address,
            "departement_id": departement_id(departement_from_commune(commune)),
            **_json_coordinates(raw_address),
            **_json_contact(ege.get("contact") or []),
            **_json_state(ege, info),
        }
        check_lengths(values, "ET")
    except CellError as error:
        return LineError(rank, str(error), _text(info, "numFinessEge"))
    return Record(rank, finess, values, legal_entity_finess=ej)


def load_json_flux(finess_file: FinessFile) -> dict:
    """The parsed flux, read once per file (``detect`` validates it before any write)."""
    if finess_file.json_data is not None:
        return finess_file.json_data
    try:
        with open(finess_file.path, encoding="utf-8-sig") as handle:
            data = json.load(handle)
    except (ValueError, UnicodeDecodeError) as error:
        raise FinessFileError(f"Le fichier « {finess_file.name} » n'est pas un JSON lisible : {error}.") from None
    if not isinstance(data, dict) or not isinstance(data.get("pmej"), list):
        raise FinessFileError(
            f"Le fichier « {finess_file.name} » n'est pas un flux FINESS : il n'a pas de liste « pmej »."
        )
    finess_file.json_data = data
    return data


# --- Detection -----------------------------------------------------------------------------------


def _first_line(head: str) -> str:
    for line in head.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _check_header(line: str, required: tuple[str, ...], name: str) -> None:
    columns = [cell.strip() for cell in line.split(";")]
    missing = [column for column in required if column not in columns]
    if missing:
        raise FinessFileError(
            f"Le fichier « {name} » n'a pas les colonnes attendues : {', '.join(missing)} manquantes."
        )


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
        cells = first.split(";")
        try:
            date = read_date(cells[3], "date de l'extrait") if len(cells) > 3 else None
        except CellError:
            date = None
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
    if kind == FileKind.JSON_FLUX:
        data = load_json_flux(finess_file)  # a broken JSON is refused before anything is written
        try:
            finess_file.extract_date = read_date(str(data.get("generatedAt") or ""), "generatedAt")
        except CellError:
            finess_file.extract_date = None
    return finess_file
