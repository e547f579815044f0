"""Reading FINESS extracts: what kind of file it is, and its records, one by one.

One module per layout: ``etalab_et`` (establishment CSV), ``ej_stock`` (legal-entity CSV), ``json_flux``
(ANS flux), ``detection`` (which layout a file is), ``common`` (what they share). This package
re-exports their public names: ``from members.finess.parsing import detect`` keeps working.

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

from members.finess.parsing.common import (
    SIX_PLACES,
    SNIFF_BYTES,
    TWO_PLACES,
    CellError,
    FileKind,
    FinessFileError,
    LineError,
    Record,
    SourceFile,
    address_values,
    check_lengths,
    commune_insee,
    departement_from_commune,
    departement_id,
    finess_departement,
    read_ape,
    read_date,
    read_decimal,
    read_finess,
    read_siren,
    read_siret,
)
from members.finess.parsing.detection import FinessFile, detect, etalab_metadata, sniff
from members.finess.parsing.ej_stock import EJ501_COLUMNS, EJ_STOCK_REQUIRED, entity_values
from members.finess.parsing.etalab_et import ET_COLUMNS, ET_HEADER_REQUIRED, establishment_values
from members.finess.parsing.json_flux import load_json_flux


__all__ = [
    "EJ501_COLUMNS",
    "EJ_STOCK_REQUIRED",
    "ET_COLUMNS",
    "ET_HEADER_REQUIRED",
    "SIX_PLACES",
    "SNIFF_BYTES",
    "TWO_PLACES",
    "CellError",
    "FileKind",
    "FinessFile",
    "FinessFileError",
    "LineError",
    "Record",
    "SourceFile",
    "address_values",
    "check_lengths",
    "commune_insee",
    "departement_from_commune",
    "departement_id",
    "detect",
    "entity_values",
    "establishment_values",
    "etalab_metadata",
    "finess_departement",
    "load_json_flux",
    "read_ape",
    "read_date",
    "read_decimal",
    "read_finess",
    "read_siren",
    "read_siret",
    "sniff",
]
