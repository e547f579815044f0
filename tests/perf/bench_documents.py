"""Benchmark: a ~50-page register of members, whole pipeline vs bare WeasyPrint on the same HTML.

Run: ``.venv/bin/python tests/perf/bench_documents.py`` (not collected by pytest). It creates a
scratch database (migrated, then dropped at the end), fills one groupement big enough for about 50
pages, then runs, each in a fresh child process forked from this one (as a prefork worker does),
alternately (each going first in turn) and ``ROUNDS`` times:

- the pipeline: ``document_request`` + ``production.job_run`` (job claim, context, HTML, PDF,
  storage, Document row, journal);
- bare WeasyPrint on the very HTML the pipeline renders (same options).

It prints the median wall time of each, the ratio of their median CPU times (on a shared machine
wall times of identical runs vary by ±30 %; CPU time hardly does; the pipeline's SQL runs in the
PostgreSQL server and is not counted, it is a few milliseconds here), and the peak RSS of the
pipeline's children (``ru_maxrss``). It also gives ``ratio_in_process``: the pipeline's time over
the time of the WeasyPrint call inside it, in the same run (what the pipeline adds, without noise).
The LAST line is JSON. Targets (quality.md §2.5): 50 pages ≤ 15 s, ≤ 300 MB,
pipeline ≤ 1.15 × bare.
"""

import gc
import json
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gtsms.settings.test")

import django  # noqa: E402


django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, connections  # noqa: E402

from documents import production, registry, renderers, services  # noqa: E402
from documents.models import Document  # noqa: E402
from documents.production import _doc_meta  # noqa: E402
from members.enums import GroupementKind, GroupementStatus, MembershipCategory  # noqa: E402
from members.models import (  # noqa: E402
    Departement,
    Establishment,
    Groupement,
    LegalEntity,
    Membership,
    MembershipTerms,
    Region,
)
from tests.utils import luhn_complete  # noqa: E402


MEMBERS = int(os.environ.get("BENCH_MEMBERS", "98"))
ESTABLISHMENTS_PER_MEMBER = int(os.environ.get("BENCH_ESTABLISHMENTS", "3"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))


def build_groupement() -> Groupement:
    """One GTSMS with MEMBERS members, each with its establishments and terms (bulk inserts)."""
    import datetime

    groupement = Groupement.objects.create(
        kind=GroupementKind.GTSMS,
        name="GTSMS de la Creuse (banc d'essai)",
        slug="banc-essai",
        region=Region.objects.get(code="75"),
        status=GroupementStatus.CONSTITUTED,
        seat_city="Guéret",
    )
    departement = Departement.objects.get(code="23")
    entities = LegalEntity.objects.bulk_create(
        LegalEntity(
            finess=luhn_complete(f"23{index:06d}"),
            name=f"EHPAD PUBLIC AUTONOME DE LA COMMUNE NUMÉRO {index:03d}",
            statut_code="21",
            statut_label="Etablissement Social Communal",
            street_number=str(index),
            street_type="RUE",
            street_name="DE LA PAIX",
            routing_line="23000 GUERET",
        )
        for index in range(MEMBERS)
    )
    Establishment.objects.bulk_create(
        Establishment(
            finess=luhn_complete(f"23{500000 + index * 10 + number:06d}"),
            legal_entity=entity,
            name=f"RÉSIDENCE LES TILLEULS {index:03d}-{number}",
            departement=departement,
            category_code="500",
            category_label="Etablissement d'hébergement pour personnes âgées dépendantes",
            street_number=str(number + 1),
            street_type="AV",
            street_name="DU MARÉCHAL FOCH",
            routing_line="23000 GUERET",
        )
        for index, entity in enumerate(entities)
        for number in range(ESTABLISHMENTS_PER_MEMBER)
    )
    memberships = Membership.objects.bulk_create(
        Membership(
            groupement=groupement,
            legal_entity=entity,
            groupement_kind=GroupementKind.GTSMS,
            category=MembershipCategory.MANDATORY,
            founding=True,
            admitted_on=datetime.date(2026, 1, 1),
            admission_act="Convention constitutive",
        )
        for entity in entities
    )
    share = (Decimal(100) / MEMBERS).quantize(Decimal("0.0001"))
    MembershipTerms.objects.bulk_create(
        MembershipTerms(
            membership=membership,
            valid_from=datetime.date(2026, 1, 1),
            voting_rights=Decimal(1 + index % 3),
            contribution_share=share if index < MEMBERS - 1 else Decimal(100) - share * (MEMBERS - 1),
            act="Convention constitutive",
        )
        for index, membership in enumerate(memberships)
    )
    return groupement


def in_child(function, *args) -> dict:
    """Run ``function`` in a forked child (fresh memory, own DB connection); return its result."""
    connections.close_all()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def target():
        started, started_cpu = time.perf_counter(), cpu()
        result = function(*args)
        result["seconds"] = time.perf_counter() - started
        result["cpu_seconds"] = cpu() - started_cpu
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        queue.put(result)
        connections.close_all()

    process = context.Process(target=target)
    process.start()
    result = queue.get(timeout=600)
    process.join(timeout=60)
    return result


def pipeline(groupement_id: int) -> dict:
    """The whole pipeline; also times the WeasyPrint call inside it (same process, same moment)."""
    inside = {"seconds": 0.0}
    html_to_pdf = renderers.html_to_pdf

    def timed_html_to_pdf(*args, **kwargs):
        started = time.perf_counter()
        try:
            return html_to_pdf(*args, **kwargs)
        finally:
            inside["seconds"] += time.perf_counter() - started

    renderers.html_to_pdf = timed_html_to_pdf
    try:
        started = time.perf_counter()
        groupement = Groupement.objects.get(pk=groupement_id)
        job = services.document_request(kind="members_register", groupement=groupement, actor=None, enqueue=False)
        outcome = production.job_run(job.pk)
        document = Document.objects.get(job=job)
        total = time.perf_counter() - started
    finally:
        renderers.html_to_pdf = html_to_pdf
    return {
        "outcome": str(outcome),
        "pages": document.page_count,
        "size": document.size,
        "weasyprint_share": inside["seconds"] / total,
    }


def bare(html: str) -> dict:
    import weasyprint

    options = {"pdf_variant": renderers.PDF_VARIANT}
    document = weasyprint.HTML(string=html, base_url=renderers.print_base_url()).render(**options)
    content = document.write_pdf(**options)
    return {"pages": len(document.pages), "size": len(content)}


def same_html(groupement: Groupement) -> str:
    """The HTML the pipeline renders for a draft of the register (same builder, template and meta)."""
    spec = registry.get("members_register")
    context = spec.builder(groupement, f"groupement:{groupement.pk}", None, lambda percent, step: None)
    from documents.models import GenerationJob

    job = GenerationJob(kind=spec.kind, groupement=groupement, subject_key=f"groupement:{groupement.pk}")
    meta = _doc_meta(job, spec, context, 1, draft=True)
    return renderers.render_html(spec.template, {**context, "doc": meta})


def main() -> None:
    settings.MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="gtsms-bench-media-"))
    settings.DATABASES["default"]["TEST"]["NAME"] = f"gtsms_bench_{os.getpid()}"
    creation = connection.creation
    print(f"Base de travail {settings.DATABASES['default']['TEST']['NAME']} : création et migrations…", flush=True)
    old_name = creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        renderers.preload()  # as the worker does before forking its children (documents.tasks)
        groupement = build_groupement()
        html = same_html(groupement)
        gc.collect()
        gc.freeze()
        print(f"{MEMBERS} membres, {MEMBERS * ESTABLISHMENTS_PER_MEMBER} établissements", flush=True)
        runs = {"pipeline": [], "bare": []}
        contenders = [("pipeline", pipeline, groupement.pk), ("bare", bare, html)]
        for round_number in range(ROUNDS):
            # Alternate which one goes first, so that a drift of the machine's load hits both alike.
            for name, function, argument in contenders if round_number % 2 == 0 else contenders[::-1]:
                result = in_child(function, argument)
                runs[name].append(result)
                print(
                    f"tour {round_number + 1} {name:8} : {result['seconds']:.2f} s "
                    f"({result['cpu_seconds']:.2f} s CPU), {result['pages']} pages, {result['peak_mb']:.0f} Mo",
                    flush=True,
                )

        def median(name: str, key: str) -> float:
            return statistics.median(run[key] for run in runs[name])

        pipeline_s, bare_s = median("pipeline", "seconds"), median("bare", "seconds")
        pipeline_cpu, bare_cpu = median("pipeline", "cpu_seconds"), median("bare", "cpu_seconds")
        print(
            f"médianes : pipeline {pipeline_s:.2f} s ({pipeline_cpu:.2f} s CPU), "
            f"WeasyPrint seul {bare_s:.2f} s ({bare_cpu:.2f} s CPU)",
            flush=True,
        )
        figures = {
            "pages": runs["pipeline"][0]["pages"],
            "pipeline_s": round(pipeline_s, 2),
            "bare_s": round(bare_s, 2),
            # CPU time: on a shared machine, wall times of identical runs vary by ±30 %.
            "ratio": round(pipeline_cpu / bare_cpu, 3),
            "peak_mb": round(max(run["peak_mb"] for run in runs["pipeline"])),
            "ratio_wall": round(pipeline_s / bare_s, 3),
            # Whole pipeline / its own WeasyPrint call, timed in the same process: noise-free overhead.
            "ratio_in_process": round(1 / median("pipeline", "weasyprint_share"), 3),
            "pipeline_cpu_s": round(pipeline_cpu, 2),
            "bare_cpu_s": round(bare_cpu, 2),
        }
    finally:
        connections.close_all()
        creation.destroy_test_db(old_name, verbosity=0)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
