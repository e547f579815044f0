from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_territories(sender, **kwargs) -> None:
    """Reference data after every migrate and every flush (a test's flush included)."""
    from members.models import Departement, Region
    from members.territories import territories_load

    territories_load(Region, Departement)


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = "Membres et établissements"

    def ready(self) -> None:
        from members.documents import register_document_kinds  # models must be loaded first

        register_document_kinds()
        post_migrate.connect(_load_territories, sender=self, dispatch_uid="members_territories")
