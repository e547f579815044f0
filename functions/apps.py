from django.apps import AppConfig
from django.db.models.signals import post_migrate

from members import portal


def _load_catalogue(sender, **kwargs) -> None:
    """The catalogue of functions after every migrate and every flush (a test's flush included)."""
    from functions.catalogue import catalogue_load
    from functions.models import FunctionType

    catalogue_load(FunctionType)


def _portal_context(request) -> dict:
    from functions.selectors import portal_functions_for_user

    return {"function_entries": portal_functions_for_user(user=request.user)}


class FunctionsConfig(AppConfig):
    name = "functions"
    verbose_name = "Fonctions mutualisées"

    def ready(self) -> None:
        from functions.documents import register_document_kinds  # models must be loaded first

        register_document_kinds()
        portal.register_section(
            "functions", template="functions/includes/portal_section.html", context=_portal_context, order=20
        )
        post_migrate.connect(_load_catalogue, sender=self, dispatch_uid="functions_catalogue")
