import json

from django.core.management.base import BaseCommand

from accounts.services import permissions_sync
from accounts.signals import ensure_permission_rows


class Command(BaseCommand):
    help = (
        "Crée les droits déclarés par chaque salon puis reconstruit les droits de chaque groupe à partir des "
        "rôles attribués (idempotent ; migrate le fait aussi)."
    )

    def handle(self, *args, **options):
        ensure_permission_rows()
        result = permissions_sync()
        self.stdout.write(json.dumps({"groups": result.groups, "changes": result.changes}))
