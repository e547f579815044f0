import json
import pathlib

from django.core.management.base import BaseCommand, CommandError

from documents.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restaure une sauvegarde (commande backup) dans une base vide et dans le stockage, puis vérifie "
        "l'empreinte de chaque document."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=pathlib.Path, help="dossier de la sauvegarde")

    def handle(self, *args, **options):
        """Restore (documents.backup.backup_restore); refuses a database that holds tables."""
        try:
            result = backup_restore(options["directory"])
        except BackupError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"Restauration terminée : {result['files_written']} fichiers écrits, {result['files_kept']} déjà présents "
            f"et identiques, {result['documents_checked']} documents vérifiés."
        )
        self.stdout.write(json.dumps(result))
