from django.apps import AppConfig

from members import portal


def _portal_context(request) -> dict:
    from governance.views import portal_context

    return portal_context(request)


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Gouvernance"

    def ready(self) -> None:
        from governance.documents import register_document_kinds  # models must be loaded first

        register_document_kinds()
        portal.register_section(
            "governance", template="governance/includes/portal_section.html", context=_portal_context, order=10
        )
