import json
import pathlib

from django.core.management.base import BaseCommand, CommandError

from members.finess.importer import FinessFileError, finess_import


class Command(BaseCommand):
    help = (
        "Importe des extraits FINESS (établissements etalab cs1100507/cs1100502, entités juridiques "
        "etalab_stock_ej ou cs1100501, flux JSON de l'ANS). Affiche l'avancement puis, en dernière "
        "ligne, le bilan en JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=pathlib.Path, help="fichiers à importer")
        parser.add_argument(
            "--confirm-closures",
            action="store_true",
            help=(
                "appliquer aussi les fermetures qui dépassent FINESS_CLOSURE_CONFIRM_SHARE des établissements "
                "ouverts d'un département (sinon elles sont affichées et non appliquées)"
            ),
        )

    def handle(self, *args, **options):
        """Import the files (members.finess.importer.finess_import); exit code 1 when a file is refused."""
        paths: list[pathlib.Path] = options["files"]
        for path in paths:
            if not path.is_file():
                raise CommandError(f"Le fichier « {path} » n'existe pas.")

        def progress(percent: int, message: str) -> None:
            self.stdout.write(f"[{percent:3d} %] {message}")

        try:
            result = finess_import(paths, progress=progress, confirm_closures=options["confirm_closures"])
        except FinessFileError as error:
            raise CommandError(f"Import refusé : {error.message}") from None
        for summary in result.files:
            self.stdout.write(
                f"{summary.name} : {summary.read} lignes lues, {summary.created} créées, {summary.updated} "
                f"modifiées, {summary.unchanged} inchangées, {summary.closed} fermées, {summary.rejected} rejetées"
                + (f", {summary.placeholders} entités juridiques provisoires" if summary.placeholders else "")
            )
            for note in summary.notes:
                self.stdout.write(f"  {note}")
            for wave in summary.pending_closures:
                self.stdout.write(
                    f"  Fermetures non appliquées (département {wave['departement']}), relancez avec "
                    "--confirm-closures pour les appliquer : "
                    + ", ".join(f"{finess} {name}" for _pk, finess, name in wave["establishments"])
                )
        for error in result.errors:
            where = f"{error['file']}, ligne" if "file" in error else "ligne"
            self.stdout.write(f"  Rejet ({where} {error['line']}) : {error['reason']}")
        self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
