import json

from django.core.management.base import BaseCommand

from accounts.services import permissions_sync


class Command(BaseCommand):
    help = "Reconstruit les droits de chaque groupe à partir des rôles attribués (idempotent)."

    def handle(self, *args, **options):
        result = permissions_sync()
        self.stdout.write(json.dumps({"groups": result.groups, "changes": result.changes}))
