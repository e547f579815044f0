"""The yearly cost sharing of a groupement: ``cost_sharing --groupement SLUG --year N --format json|csv|xlsx``.

``json`` prints, as its last line, ``{"year": N, "functions": [{"function", "cost", "shares": {FINESS EJ:
amount}}], "members": {FINESS EJ: amount}}`` (amounts as strings with two decimals). ``csv`` writes one
row per share (to ``--output`` or the standard output); ``xlsx`` writes the workbook of the
``cost_sharing_xlsx`` document (to ``--output``, by default ``repartition-<slug>-<year>.xlsx``) and
prints ``{"year", "format", "file"}`` last. A function that cannot be split is reported on the error
output and makes the command fail, after the figures of the others.
"""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.exports import csv_writer
from documents.renderers import render_xlsx
from functions.documents import cost_sharing_sheets
from functions.sharing import year_split
from members.models import Groupement


class Command(BaseCommand):
    help = "Calcule la répartition des charges d'un groupement pour une année (json, csv ou xlsx)."

    def add_arguments(self, parser):
        parser.add_argument("--groupement", required=True, help="identifiant court (slug) du groupement")
        parser.add_argument("--year", type=int, default=None, help="année (par défaut : l'année en cours)")
        parser.add_argument("--format", choices=["json", "csv", "xlsx"], default="json", help="format de sortie")
        parser.add_argument("--output", default=None, help="fichier à écrire (csv, xlsx)")

    def handle(self, *args, groupement: str, year: int | None, format: str, output: str | None, **options):
        try:
            target = Groupement.objects.get(slug=groupement)
        except Groupement.DoesNotExist:
            raise CommandError(f"« --groupement » : aucun groupement n'a l'identifiant « {groupement} ».") from None
        year = year or timezone.localdate().year
        if not 2000 <= year <= 2100:
            raise CommandError(f"« --year » : {year} n'est pas une année valide.")
        split = year_split(groupement=target, year=year)
        if format == "json":
            for function in split.functions:
                if function.ok:
                    self.stdout.write(f"{function.title} : {function.cost} € ({len(function.shares)} membres)")
            self.stdout.write(json.dumps(split.as_contract(), ensure_ascii=False))
        elif format == "csv":
            self._csv(split, output)
        else:
            path = Path(output or f"repartition-{target.slug}-{year}.xlsx")
            rendered = render_xlsx(
                sheets=cost_sharing_sheets({"split": split}), title=f"Répartition des charges {year} — {target.name}"
            )
            path.write_bytes(rendered.content)
            self.stdout.write(json.dumps({"year": year, "format": "xlsx", "file": str(path)}, ensure_ascii=False))
        if split.errors:
            for function in split.errors:
                self.stderr.write(f"{function.title} : {function.error}")
            raise CommandError(f"{len(split.errors)} fonction(s) ne peuvent pas être réparties pour {year}.")

    def _csv(self, split, output: str | None) -> None:
        handle = open(output, "w", newline="", encoding="utf-8") if output else sys.stdout  # noqa: SIM115
        try:
            writer = csv_writer(handle)
            writer.writerow(
                ["annee", "fonction", "cout_fonction", "finess_ej", "membre", "jours_adhesion", "part", "explication"]
            )
            for function in split.functions:
                for share in function.shares if function.ok else []:
                    writer.writerow(
                        [split.year, function.title, f"{function.cost:.2f}", share.finess, share.name, share.days,
                         f"{share.amount:.2f}", share.explanation]
                    )  # fmt: skip
        finally:
            if output:
                handle.close()
