"""Legal-entity CSV extracts: the etalab_stock_ej stock (header line) and etalab cs1100501 (``structureej;…``)."""

from collections.abc import Iterator

from members.eligibility import normalize_code
from members.finess.parsing.common import (
    CellError,
    LineError,
    Record,
    SourceFile,
    address_values,
    check_lengths,
    commune_insee,
    departement_code_from_finess,
    finess_departement,
    missing_columns,
    read_ape,
    read_date,
    read_finess,
    read_siren,
)


# structureej columns of the cs1100501 notice; renamed to the etalab_stock_ej names where they differ.
EJ501_COLUMNS = (
    "finess", "nofinessej", "rs", "rslongue", "complrs", "numvoie", "typvoie", "voie", "compvoie", "compldistrib",
    "lieuditbp", "commune", "ligneacheminement", "departement", "libdepartement", "telephone", "statutjuridique",
    "libstatutjuridique", "categej", "libcategej", "siren", "codeape", "datecrea",
)  # fmt: skip
EJ_STOCK_REQUIRED = ("nofinessej", "rs", "statutjuridique")


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


def stock_entities(finess_file: SourceFile, report) -> Iterator[Record | LineError]:
    header: list[str] | None = None
    for line, cells in finess_file.rows(report):
        if header is None:
            header = [cell.strip().lower() for cell in cells]
            missing = [name for name in EJ_STOCK_REQUIRED if name not in header]
            if missing:
                raise missing_columns(finess_file.name, missing)
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


def etalab_entities(finess_file: SourceFile, report) -> Iterator[Record | LineError]:
    expected = len(EJ501_COLUMNS)
    for line, cells in finess_file.rows(report):
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
