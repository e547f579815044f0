from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = "Membres et établissements"

    def ready(self) -> None:
        from members.documents import register_document_kinds  # models must be loaded first

        register_document_kinds()
