from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_catalogue(sender, **kwargs) -> None:
    """The catalogue of functions after every migrate and every flush (a test's flush included)."""
    from functions.catalogue import catalogue_load
    from functions.models import FunctionType

    catalogue_load(FunctionType)


class FunctionsConfig(AppConfig):
    name = "functions"
    verbose_name = "Fonctions mutualisées"

    def ready(self) -> None:
        from functions.documents import register_document_kinds  # models must be loaded first

        register_document_kinds()
        post_migrate.connect(_load_catalogue, sender=self, dispatch_uid="functions_catalogue")
