import json
import pathlib

from django.core.management.base import BaseCommand, CommandError

from documents.backup import BackupError, backup_write


class Command(BaseCommand):
    help = (
        "Sauvegarde la base (pg_dump, format personnalisé) et les fichiers stockés (documents, imports FINESS) "
        "dans un dossier, avec un manifeste des empreintes SHA-256."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", type=pathlib.Path, required=True, help="dossier à créer (ou vide)")

    def handle(self, *args, **options):
        """Write the backup (documents.backup.backup_write); the last line is a JSON summary."""
        try:
            manifest = backup_write(options["output"])
        except BackupError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"Sauvegarde écrite dans {options['output']} : base {manifest['database']['name']}, "
            f"{len(manifest['files'])} fichiers."
        )
        self.stdout.write(json.dumps({"output": str(options["output"]), "files": len(manifest["files"])}))
