"""Benchmark of the key pages on a national-size instance (not a pytest test: run it by hand).

    .venv/bin/python tests/perf/bench_pages.py [--database gtsms_national] [--runs 30] [--rebuild]
        [--groupements 120] [--users 4000] [--establishments 157000]

1. Builds the national instance in ``--database`` (``load_scale``) unless it is already there (or
   ``--rebuild``: the database is dropped and built again).
2. Signs in as each audience (Django test client, ``force_login``) and requests each page registered
   with ``core.scale.page`` (the key pages in demo/scale.py, and those every room adds in its own
   scale.py): a warm-up, then ``--runs`` timed requests; one more under a query counter.
3. Times the bare SQL that returns the same rows as each page the same way (``floor``).

Prints one line per page, then as its LAST line one JSON object:
{"pages": [{"page", "role", "rows", "p50_ms", "p95_ms", "queries", "floor_ratio", "cpu_p50_ms"}]}
where ``floor_ratio`` is the page's p50 over the bare query's p50, and ``cpu_p50_ms`` the median CPU time
of this process per request (what the page costs in Python, whatever the load of a shared machine).
Targets on this kind of machine: p95 ≤ 150 ms and ≤ 15 queries on every key page (aim: 100 ms).
"""

import argparse
import json
import os
import pathlib
import statistics
import sys
import time


ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
TARGET_P95_MS = 150
TARGET_QUERIES = 15


def log(message: str) -> None:
    print(message, flush=True)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def database_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as connection:
        return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def recreate_database(name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def time_page(client, url: str, runs: int) -> tuple[list[float], list[float], int, int]:
    """Wall and CPU milliseconds of ``runs`` requests after a warm-up, the status code, the number of queries.

    The CPU time of this process (Python: views, ORM, templates) does not count the waits for a core
    that other processes hold, so it stays meaningful on a shared machine; the database's own time is
    in the wall time only.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        response = client.get(url)
    timings, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return timings, cpu, response.status_code, len(queries)


def time_floor(sql: str, params: tuple, runs: int) -> tuple[list[float], int]:
    from django.db import connection

    with connection.cursor() as cursor:
        for _ in range(3):
            cursor.execute(sql, params)
            rows = len(cursor.fetchall())
        timings = []
        for _ in range(runs):
            start = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            timings.append((time.perf_counter() - start) * 1000)
    return timings, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="gtsms_national", help="database of the national instance")
    parser.add_argument("--runs", type=int, default=30, help="timed requests per page (default 30)")
    parser.add_argument("--rebuild", action="store_true", help="drop the database and build it again")
    parser.add_argument("--groupements", type=int, default=120)
    parser.add_argument("--users", type=int, default=4000)
    parser.add_argument("--establishments", type=int, default=157_000)
    options = parser.parse_args()

    # One persistent connection, as the production pool gives each request a warm backend (prod.py);
    # without it every request would open a connection and plan on cold catalog caches.
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{options.database}?conn_max_age=600"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gtsms.settings.test")
    if options.rebuild or not database_exists(options.database):
        log(f"Base {options.database} : création…")
        recreate_database(options.database)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from core import scale
    from demo.scale import Sample, is_loaded

    settings.TEMPLATES[0]["OPTIONS"]["debug"] = False  # as in production (the test settings turn it on)
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 600
    call_command("migrate", verbosity=0)
    if not is_loaded():
        log("Construction de l'instance nationale (load_scale)…")
        start = time.perf_counter()
        call_command(
            "load_scale",
            groupements=options.groupements,
            users=options.users,
            establishments=options.establishments,
        )
        log(f"Instance construite en {time.perf_counter() - start:.0f} s.")
    else:
        log(f"Instance nationale trouvée dans {options.database} : réutilisée.")

    scale.discover()
    sample = Sample()
    results = []
    for page in scale.pages():
        request = page.resolve(sample)
        if request is None:
            log(f"— {page.name} ({page.role}) : rien à mesurer dans cette instance")
            continue
        client = Client()
        client.force_login(request.user)
        timings, cpu, status, queries = time_page(client, request.url, options.runs)
        floor, rows = time_floor(request.floor_sql, request.floor_params, options.runs)
        p50, p95 = statistics.median(timings), percentile(timings, 0.95)
        result = {
            "page": page.name,
            "role": page.role,
            "rows": rows,
            "p50_ms": round(p50, 1),
            "p95_ms": round(p95, 1),
            "queries": queries,
            "floor_ratio": round(p50 / max(statistics.median(floor), 0.01), 1),
            "cpu_p50_ms": round(statistics.median(cpu), 1),
        }
        results.append(result)
        flag = "" if p95 <= TARGET_P95_MS and queries <= TARGET_QUERIES else "  ← au-dessus de la cible"
        log(
            f"{page.name} ({page.role}) {request.url} [{status}] : {rows} lignes, p50 {p50:.1f} ms, "
            f"p95 {p95:.1f} ms (CPU {result['cpu_p50_ms']} ms), {queries} requêtes, "
            f"×{result['floor_ratio']} le SQL nu{flag}"
        )
        if status >= 400:
            log(f"  ERREUR : statut {status}")
    print(json.dumps({"pages": results}, ensure_ascii=False))


if __name__ == "__main__":
    main()
