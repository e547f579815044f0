import time

import pghistory
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from accounts.models import User
from core import scale
from demo import data
from members.models import Groupement


class Command(BaseCommand):
    help = (
        "Construit une instance de taille nationale (extrait FINESS national, groupements dans chaque région, "
        "membres, comptes dans chaque rôle, puis les données de chaque pièce) dans la base configurée "
        "(DATABASE_URL), en passant par les services. Refuse une base qui contient la démonstration."
    )

    def add_arguments(self, parser):
        parser.add_argument("--groupements", type=int, default=120, help="nombre de groupements (120 par défaut)")
        parser.add_argument("--users", type=int, default=4000, help="nombre de comptes (4 000 par défaut)")
        parser.add_argument(
            "--establishments", type=int, default=157_000, help="établissements FINESS (157 000 par défaut)"
        )
        parser.add_argument("--seed", type=int, default=2028, help="graine du tirage (résultat reproductible)")
        parser.add_argument(
            "--force", action="store_true", help="construire même si la base contient la démonstration"
        )

    def handle(self, *args, **options):
        for name in ("groupements", "users", "establishments"):
            if options[name] < 1:
                raise CommandError(f"--{name} : indiquez un nombre entier positif.")
        if not options["force"] and _holds_demo():
            raise CommandError(
                "Cette base contient la démonstration (load_demo) : l'instance nationale se construit dans une "
                "base à part (DATABASE_URL=postgres://…/gtsms_national). Ajoutez --force pour passer outre."
            )
        start = time.perf_counter()

        def log(message: str) -> None:
            self.stdout.write(f"[{time.perf_counter() - start:7.1f} s] {message}")
            self.stdout.flush()

        ctx = scale.ScaleContext(
            groupements=options["groupements"],
            users=options["users"],
            establishments=options["establishments"],
            seed=options["seed"],
            today=timezone.localdate(),
            log=log,
        )
        scale.discover()
        steps = scale.steps()
        with pghistory.context(source="load_scale"):
            for number, step in enumerate(steps, start=1):
                log(f"Étape {number}/{len(steps)} : {step.label}…")
                step.build(ctx)
        with connection.cursor() as cursor:
            # What autovacuum would do later: merge the GIN pending lists of the trigram indexes and refresh
            # the planner statistics (the tables grew a thousandfold). VACUUM cannot run in a transaction.
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
        log(f"Instance nationale prête ({len(steps)} étapes).")


def _holds_demo() -> bool:
    demo_slugs = [spec["slug"] for spec in data.GROUPEMENTS]
    return (
        Groupement.objects.filter(slug__in=demo_slugs).exists()
        or User.objects.filter(email__endswith=f"@{data.DEMO_DOMAIN}").exists()
    )
