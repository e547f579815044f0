"""A national-size FINESS extract generated from the real rows of data/finess.

The dép. 23 and 48 extracts (etalab cs1100507 layout, plus the etalab_stock_ej legal entities) are
cloned across the metropolitan départements with new FINESS numbers: valid Luhn key, département
prefix, consistent ET → EJ links. Used by ``load_scale`` (the national instance) and by
tests/perf/bench_finess.py.
"""

import csv
import pathlib
import tempfile


DATA = pathlib.Path(__file__).resolve().parents[1] / "data" / "finess"


ET_SOURCES = [
    ("etalab-cs1100507-stock-20210108-0427_dep23_reconstructed.csv", "cp1252"),
    ("etalab-cs1100507-stock-20210108-0427_dep48_reconstructed.csv", "utf-8"),
]
EJ_SOURCES = ["etalab_stock_ej_20201231_dep23.csv", "etalab_stock_ej_20201231_dep48.csv"]
# Metropolitan départements, as FINESS writes them (Corsica 2A/2B: numbers without a Luhn key).
DEPARTEMENTS = [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B"]


def luhn_complete(base: str) -> str:
    """``base`` (8 characters) followed by its Luhn key; letters (2A, 2B) get 0 (no key is checked)."""
    if not base.isdigit():
        return base + "0"
    for digit in "0123456789":
        candidate = base + digit
        total = 0
        for index, char in enumerate(reversed(candidate)):
            value = int(char) * (2 if index % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


def read_templates(data: pathlib.Path = DATA):
    """The real rows: ET lines (with their geolocation) and EJ rows keyed by EJ number."""
    et_rows, geo = [], {}
    for name, encoding in ET_SOURCES:
        with open(data / name, encoding=encoding, newline="") as handle:
            for cells in csv.reader(handle, delimiter=";"):
                if cells[0] == "structureet":
                    et_rows.append(cells)
                elif cells[0] == "geolocalisation":
                    geo[cells[1]] = cells
    ej_header, ej_rows = None, {}
    for name in EJ_SOURCES:
        with open(data / name, encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle, delimiter=";")
            ej_header = next(reader)
            for cells in reader:
                ej_rows.setdefault(cells[0], cells)
    return et_rows, geo, ej_header, ej_rows


def generate(
    directory: pathlib.Path, target: int, data: pathlib.Path = DATA
) -> tuple[pathlib.Path, pathlib.Path, int, int]:
    """Write the ET extract and the EJ stock of ``target`` establishments; returns their paths and row counts."""
    et_rows, geo, ej_header, ej_rows = read_templates(data)
    et_path, ej_path = directory / "etalab-cs1100507-stock-national.csv", directory / "etalab_stock_ej_national.csv"
    clones = -(-target // len(et_rows))
    et_count = ej_count = 0
    serial: dict[str, int] = {}
    with (
        open(et_path, "w", encoding="utf-8", newline="") as et_file,
        open(ej_path, "w", encoding="utf-8", newline="") as ej_file,
        tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as geo_file,
    ):
        et_writer = csv.writer(et_file, delimiter=";", lineterminator="\r\n")
        geo_writer = csv.writer(geo_file, delimiter=";", lineterminator="\r\n")
        ej_writer = csv.writer(ej_file, delimiter=";", lineterminator="\n")
        et_file.write(f"finess;etalab;{min(target, clones * len(et_rows))};2021-01-08\r\n")
        ej_writer.writerow(ej_header)
        ej_columns = {name: index for index, name in enumerate(ej_header)}
        for clone in range(clones):
            dep = DEPARTEMENTS[clone % len(DEPARTEMENTS)]
            numbers: dict[str, str] = {}

            def number(dep=dep):
                serial[dep] = serial.get(dep, 0) + 1
                return luhn_complete(f"{dep}{serial[dep]:06d}")

            for template in et_rows:
                if et_count >= target:
                    break
                ej = numbers.get(template[2])
                if ej is None:
                    ej = numbers[template[2]] = number()
                    ej_cells = list(ej_rows[template[2]])
                    ej_cells[0] = ej
                    ej_cells[ej_columns["departement"]] = dep
                    ej_cells[ej_columns["cog"]] = dep + ej_cells[ej_columns["cog"]][2:]
                    ej_writer.writerow(ej_cells)
                    ej_count += 1
                cells = list(template)
                cells[1], cells[2], cells[13] = number(), ej, dep
                et_writer.writerow(cells)
                et_count += 1
                position = geo.get(template[1])
                if position is not None:
                    geo_writer.writerow([position[0], cells[1], *position[2:]])
        geo_file.seek(0)
        for line in geo_file:
            et_file.write(line)
    return et_path, ej_path, et_count, ej_count
