from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Comptes et rôles"

    def ready(self):
        from accounts import signals

        checks.register(signals.check_rights, checks.Tags.security)
        post_migrate.connect(signals.rights_after_migrate, sender=self, dispatch_uid="accounts_rights_after_migrate")
