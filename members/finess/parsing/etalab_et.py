"""Establishment CSV extracts: etalab cs1100507 / cs1100502 (``structureet;…`` and ``geolocalisation;…``
lines) and the older layout with a header line (``ET_HEADER``)."""

from collections.abc import Iterator

from members.finess.parsing.common import (
    TWO_PLACES,
    CellError,
    FileKind,
    LineError,
    Record,
    SourceFile,
    address_values,
    check_lengths,
    commune_insee,
    departement_id,
    finess_departement,
    missing_columns,
    read_ape,
    read_date,
    read_decimal,
    read_finess,
    read_siret,
)


# structureet columns, 0-based, as in the cs1100507 notice (domain.md §5.4; format_etalabcs1100507.csv).
ET_COLUMNS = (
    "finess", "nofinesset", "nofinessej", "rs", "rslongue", "complrs", "compldistrib", "numvoie", "typvoie",
    "voie", "compvoie", "lieuditbp", "commune", "departement", "libdepartement", "ligneacheminement", "telephone",
    "telecopie", "categetab", "libcategetab", "categagretab", "libcategagretab", "siret", "codeape", "codemft",
    "libmft", "codesph", "libsph", "dateouv", "dateautor", "datemaj",
)  # fmt: skip
ET_HEADER_REQUIRED = ("nofinesset", "nofinessej", "rs", "categetab")


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


def geolocations(finess_file: SourceFile) -> tuple[dict[str, tuple], list[LineError]]:
    """First pass: the ``geolocalisation`` lines (at the end of the file), by ET finess."""
    positions: dict[str, tuple] = {}
    errors: list[LineError] = []
    for line, cells in finess_file.rows():
        if cells[0].strip().lower() != "geolocalisation":
            continue
        # nofinesset;coordxet;coordyet;sourcecoordet;datemaj. A spreadsheet-saved file splits the
        # source on its commas into several cells: they are joined back.
        if len(cells) < 6:
            errors.append(LineError(line, "coordonnées ignorées : ligne de géolocalisation incomplète", counts=False))
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


def csv_establishments(finess_file: SourceFile, report) -> Iterator[Record | LineError]:
    positions, geo_errors = geolocations(finess_file)
    has_geolocation = bool(positions) or bool(geo_errors)
    yield from geo_errors
    # The published lines end with ";": 31 named cells and an empty 32nd one. The count must be
    # exact, so that a line missing a cell is rejected instead of read with shifted columns.
    header: tuple[str, ...] | None = (*ET_COLUMNS, "") if finess_file.kind == FileKind.ETALAB_ET else None
    for line, cells in finess_file.rows(report):
        kind = cells[0].strip().lower()
        if kind == "__csv_error__":
            yield LineError(line, f"ligne illisible ({cells[1]})")
            continue
        if header is None:  # ET_HEADER: the first line names the columns (and ends with ";" too)
            header = tuple(cell.strip().lower() for cell in cells)
            missing = [name for name in ET_HEADER_REQUIRED if name not in header]
            if missing:
                raise missing_columns(finess_file.name, missing)
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
