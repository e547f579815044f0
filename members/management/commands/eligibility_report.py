import io
import json
import pathlib

from django.core.management.base import BaseCommand, CommandError

from core.exports import csv_writer
from documents.registry import Column, Sheet
from documents.renderers import render_xlsx
from members.finess.parsing import finess_departement
from members.finess.report import REPORT_COLUMNS, eligibility_report_rows
from members.models import Departement, Region
from members.territories import departement_code_from_finess


class Command(BaseCommand):
    help = (
        "Liste les établissements ouverts d'un territoire relevant du champ médico-social, avec leur "
        "catégorie d'adhésion (obligatoire, facultative, partenaire), la règle appliquée et leurs groupements."
    )

    def add_arguments(self, parser):
        parser.add_argument("--departement", help="code du département (23, 2A, 971 ou 9A…)")
        parser.add_argument("--region", help="code INSEE de la région (75…)")
        parser.add_argument("--format", choices=["json", "csv", "xlsx"], default="json", help="json par défaut")
        parser.add_argument("--output", type=pathlib.Path, help="fichier de sortie (obligatoire pour xlsx)")

    def handle(self, *args, **options):
        """Write the report of members.finess.report.eligibility_report_rows in JSON, CSV or XLSX."""
        departement, region = self._territory(options["departement"], options["region"])
        fmt, output = options["format"], options["output"]
        if fmt == "xlsx" and output is None:
            raise CommandError("Le format xlsx demande un fichier de sortie : --output FICHIER.xlsx")
        rows = eligibility_report_rows(departement=departement, region=region)
        if fmt == "json":
            text = json.dumps(rows, ensure_ascii=False, indent=2)
            self._write_text(text + "\n", output, encoding="utf-8")
        elif fmt == "csv":
            buffer = io.StringIO()
            writer = csv_writer(buffer, fieldnames=REPORT_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
            self._write_text("\ufeff" + buffer.getvalue(), output, encoding="utf-8")
        else:
            self._write_xlsx(rows, output)
        if output is not None:
            self.stderr.write(f"{len(rows)} établissements écrits dans {output}.")

    def _territory(self, departement: str | None, region: str | None) -> tuple[str | None, str | None]:
        if not departement and not region:
            raise CommandError("Indiquez un territoire : --departement CODE et/ou --region CODE.")
        if departement:
            departement = departement_code_from_finess(finess_departement(departement))
            found = Departement.objects.filter(code=departement).values_list("region_id", flat=True).first()
            if found is None:
                raise CommandError(f"Département inconnu : « {departement} ».")
            if region and found != region:
                raise CommandError(f"Le département {departement} n'appartient pas à la région {region}.")
        if region and not Region.objects.filter(code=region).exists():
            raise CommandError(f"Région inconnue : « {region} ».")
        return departement or None, region or None

    def _write_text(self, text: str, output: pathlib.Path | None, *, encoding: str) -> None:
        if output is None:
            self.stdout.write(text, ending="")
        else:
            output.write_text(text, encoding=encoding, newline="")

    def _write_xlsx(self, rows: list[dict], output: pathlib.Path) -> None:
        # The one XLSX writer (documents.renderers): its cells go through core.exports.safe_cell.
        sheet = Sheet(
            name="Éligibilité",
            columns=[Column(column, 40 if column in ("name", "groupements") else 16) for column in REPORT_COLUMNS],
            rows=[[row[column] for column in REPORT_COLUMNS] for row in rows],
        )
        output.write_bytes(render_xlsx(sheets=[sheet], title="Éligibilité des établissements").content)
