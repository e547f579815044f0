from importlib import import_module

from django.apps import AppConfig
from django.conf import settings


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = "Documents"

    def ready(self) -> None:
        # Test-only kinds (tests/chaos/kinds.py): registered only when a test's settings name them,
        # so that a real worker started by a test knows them. Production never sets this.
        for module in getattr(settings, "DOCUMENTS_EXTRA_KIND_MODULES", ()):
            import_module(module)
