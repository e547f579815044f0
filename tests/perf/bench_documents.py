"""Benchmark: a ~50-page register of members, whole pipeline vs bare WeasyPrint on the same HTML.

Run: ``.venv/bin/python tests/perf/bench_documents.py`` (not collected by pytest). It creates a
scratch database (migrated, then dropped at the end), fills one groupement big enough for about 50
pages, then runs, each in a fresh child process forked from this one (as a prefork worker does),
alternately and ``ROUNDS`` times:

- the pipeline: ``document_request`` + ``production.job_run`` (job claim, context, HTML, PDF,
  storage, Document row, journal);
- bare WeasyPrint on the very HTML the pipeline renders (same options).

It prints the best time of each, their ratio, and the peak RSS of the pipeline's children
(``ru_maxrss``); the LAST line is JSON. Targets (quality.md §2.5): 50 pages ≤ 15 s, ≤ 300 MB,
pipeline ≤ 1.15 × bare.
"""

import json
import multiprocessing
import os
import resource
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
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


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

    def target():
        started = time.perf_counter()
        result = function(*args)
        result["seconds"] = time.perf_counter() - started
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        queue.put(result)
        connections.close_all()

    process = context.Process(target=target)
    process.start()
    result = queue.get(timeout=600)
    process.join(timeout=60)
    return result


def pipeline(groupement_id: int) -> dict:
    groupement = Groupement.objects.get(pk=groupement_id)
    job = services.document_request(kind="members_register", groupement=groupement, actor=None, enqueue=False)
    outcome = production.job_run(job.pk)
    document = Document.objects.get(job=job)
    return {"outcome": str(outcome), "pages": document.page_count, "size": document.size}


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
        renderers.preload()  # as the worker does before forking its children
        groupement = build_groupement()
        html = same_html(groupement)
        print(f"{MEMBERS} membres, {MEMBERS * ESTABLISHMENTS_PER_MEMBER} établissements", flush=True)
        runs = {"pipeline": [], "bare": []}
        for round_number in range(ROUNDS):
            for name, function, argument in (("pipeline", pipeline, groupement.pk), ("bare", bare, html)):
                result = in_child(function, argument)
                runs[name].append(result)
                print(
                    f"tour {round_number + 1} {name:8} : {result['seconds']:.2f} s, {result['pages']} pages, "
                    f"{result['peak_mb']:.0f} Mo au plus",
                    flush=True,
                )
        best_pipeline = min(run["seconds"] for run in runs["pipeline"])
        best_bare = min(run["seconds"] for run in runs["bare"])
        figures = {
            "pages": runs["pipeline"][0]["pages"],
            "pipeline_s": round(best_pipeline, 2),
            "bare_s": round(best_bare, 2),
            "ratio": round(best_pipeline / best_bare, 3),
            "peak_mb": round(max(run["peak_mb"] for run in runs["pipeline"])),
        }
    finally:
        connections.close_all()
        creation.destroy_test_db(old_name, verbosity=0)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
