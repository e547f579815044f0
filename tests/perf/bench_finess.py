"""Benchmark of the FINESS import at national size (not a pytest test: run it by hand).

    .venv/bin/python tests/perf/bench_finess.py [--rows 100000] [--database gtsms_bench] [--keep]

1. Generates a national-size establishment extract (etalab cs1100507 layout, UTF-8) and the matching
   legal-entity stock (etalab_stock_ej layout) from the real rows of data/finess: the dép. 23 and 48
   extracts are cloned across the metropolitan départements with new FINESS numbers (valid Luhn key,
   département prefix, consistent ET → EJ links).
2. Creates a scratch database, migrates it (pghistory triggers included), imports both files, imports
   them again (must change nothing), then times a bare PostgreSQL COPY of the same rows into plain
   tables for comparison, and drops the database.

Prints progress, then as its LAST line one JSON object:
{"rows", "import_s", "reimport_s", "peak_mb", "rows_per_s", "copy_s", "ratio_to_copy"}.
Targets: import ≤ 60 s, re-import ≤ 30 s, peak ≤ 500 MB on 2 cores.
"""

import argparse
import io
import json
import os
import pathlib
import resource
import sys
import tempfile
import time


ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from demo.scale_finess import generate  # noqa: E402 (the repository root is on the path first)


START = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - START:7.1f} s] {message}", flush=True)


def admin_connection():
    import psycopg

    return psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True)


def create_database(name: str) -> None:
    from psycopg import sql

    with admin_connection() as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(name: str) -> None:
    from psycopg import sql

    with admin_connection() as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def copy_baseline(et_path: pathlib.Path, ej_path: pathlib.Path) -> float:
    """Seconds for a bare COPY of the same ET and EJ rows into plain text tables (no index, no trigger)."""
    from django.db import connection

    structure, header = io.StringIO(), None
    with open(et_path, encoding="utf-8", newline="") as handle:
        for line in handle:
            if line.startswith("structureet;"):
                structure.write(line)
    with open(ej_path, encoding="utf-8", newline="") as handle:
        header = handle.readline()
        entities = handle.read()
    et_columns = ", ".join(f"c{n} text" for n in range(32))
    ej_columns = ", ".join(f"c{n} text" for n in range(header.count(";") + 1))
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE bench_copy_et ({et_columns})")
        cursor.execute(f"CREATE TABLE bench_copy_ej ({ej_columns})")
        raw = cursor.cursor  # the psycopg cursor, for COPY
        start = time.perf_counter()
        with raw.copy("COPY bench_copy_et FROM STDIN WITH (FORMAT csv, DELIMITER ';')") as copy:
            copy.write(structure.getvalue())
        with raw.copy("COPY bench_copy_ej FROM STDIN WITH (FORMAT csv, DELIMITER ';')") as copy:
            copy.write(entities)
        elapsed = time.perf_counter() - start
        cursor.execute("SELECT (SELECT count(*) FROM bench_copy_et), (SELECT count(*) FROM bench_copy_ej)")
        log(f"COPY : {cursor.fetchone()} lignes copiées")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="establishment rows (default 100 000)")
    parser.add_argument("--database", default="gtsms_bench", help="scratch database, dropped at the end")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    options = parser.parse_args()

    if hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > 2:
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:2])  # the target is 2 cores
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{options.database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gtsms.settings.test")

    with tempfile.TemporaryDirectory(prefix="finess-bench-") as folder:
        log(f"Génération d'un extrait de {options.rows} établissements…")
        et_path, ej_path, et_count, ej_count = generate(pathlib.Path(folder), options.rows)
        log(
            f"{et_count} établissements ({et_path.stat().st_size / 1e6:.1f} Mo), "
            f"{ej_count} entités juridiques ({ej_path.stat().st_size / 1e6:.1f} Mo)"
        )

        log(f"Base de travail {options.database} : création et migrations…")
        create_database(options.database)
        try:
            import django

            django.setup()
            from django.core.management import call_command
            from django.db import connections

            from members.finess.importer import finess_import
            from members.models import Establishment, LegalEntity

            call_command("migrate", verbosity=0)

            last = [0.0]

            def progress(percent: int, message: str) -> None:
                if time.perf_counter() - last[0] >= 5 or percent == 100:
                    last[0] = time.perf_counter()
                    log(f"  {percent:3d} % {message}")

            log("Import…")
            start = time.perf_counter()
            result = finess_import([et_path, ej_path], progress=progress)
            import_s = time.perf_counter() - start
            counts = result.as_dict()
            log(f"Import : {import_s:.1f} s — {json.dumps({k: v for k, v in counts.items() if k != 'errors'})}")
            assert counts["rejected"] == 0, counts["errors"][:5]
            assert Establishment.objects.count() == et_count and LegalEntity.objects.count() == ej_count

            log("Second import (rien ne doit changer)…")
            start = time.perf_counter()
            again = finess_import([et_path, ej_path], progress=progress).as_dict()
            reimport_s = time.perf_counter() - start
            log(f"Second import : {reimport_s:.1f} s — inchangées {again['unchanged']} sur {again['read']}")
            assert again["unchanged"] == again["read"] == counts["read"], again

            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

            log("COPY brut des mêmes lignes, pour comparaison…")
            copy_s = copy_baseline(et_path, ej_path)
            log(f"COPY : {copy_s:.2f} s")
            connections.close_all()
        finally:
            if options.keep:
                log(f"Base {options.database} conservée.")
            else:
                drop_database(options.database)
                log(f"Base {options.database} supprimée.")

    rows = counts["read"]
    print(
        json.dumps(
            {
                "rows": rows,
                "import_s": round(import_s, 2),
                "reimport_s": round(reimport_s, 2),
                "peak_mb": round(peak_mb, 1),
                "rows_per_s": round(rows / import_s),
                "copy_s": round(copy_s, 2),
                "ratio_to_copy": round(import_s / copy_s, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
