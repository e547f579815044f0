import json

from django.core.management.base import BaseCommand

from demo.services import demo_load


class Command(BaseCommand):
    help = "Charge les données de démonstration (idempotent). Dernière ligne : les comptes en JSON."

    def handle(self, *args, **options):
        accounts = demo_load()
        self.stdout.write(f"Démonstration prête : {len(accounts)} comptes.")
        self.stdout.write(json.dumps({"accounts": accounts}, ensure_ascii=False))
