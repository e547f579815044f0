from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Gouvernance"

    def ready(self) -> None:
        from governance.documents import register_document_kinds  # models must be loaded first

        register_document_kinds()
