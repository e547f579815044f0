"""Project-wide house rules (style.md B9)."""

import re

from django.apps import apps
from django.conf import settings


OWN_APPS = {"core", "accounts", "members", "functions", "governance", "planning", "compliance", "documents", "demo"}


def test_verbose_names_are_lower_case_french():
    for model in apps.get_models():
        if model._meta.app_label in OWN_APPS and not model._meta.auto_created:
            name = str(model._meta.verbose_name)
            assert name[:1] == name[:1].lower(), f"{model._meta.label}: « {name} »"


def test_no_print_in_application_code():
    offenders = []
    for app in OWN_APPS | {"gtsms"}:
        for path in (settings.BASE_DIR / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            if re.search(r"^\s*print\(", path.read_text(encoding="utf-8"), re.MULTILINE):
                offenders.append(str(path.relative_to(settings.BASE_DIR)))
    assert offenders == []


def test_every_page_template_extends_the_base():
    for path in (settings.BASE_DIR / "templates").rglob("*.html"):
        relative = path.relative_to(settings.BASE_DIR / "templates")
        if (
            relative.parts[0] in {"components", "print"}
            or "includes" in relative.parts
            or relative.name in {"500.html", "base.html"}
        ):
            continue
        text = path.read_text(encoding="utf-8")
        if relative.name.startswith("_") or ("{% extends" not in text and "<html" not in text):
            continue  # fragments (htmx partials)
        assert text.lstrip().startswith("{% extends"), f"{relative} does not extend a layout"


# Models that are not domain rows: join tables of guardian, the append-only journal (which is its
# own history), session bookkeeping, and background-job rows whose history is their state fields.
NOT_TRACKED = {
    "core.JournalEntry",
    "accounts.UserSession",
    "members.Region",
    "members.Departement",
    "members.GroupementUserObjectPermission",
    "members.GroupementGroupObjectPermission",
    "members.EstablishmentUserObjectPermission",
    "members.EstablishmentGroupObjectPermission",
}


def test_every_domain_model_has_row_history():
    """architecture.md §6: every domain model is tracked by django-pghistory."""
    import pghistory.models

    tracked = {
        model.pgh_tracked_model._meta.label
        for model in apps.get_models()
        if issubclass(model, pghistory.models.Event) and hasattr(model, "pgh_tracked_model")
    }
    missing = []
    for model in apps.get_models():
        label = model._meta.label
        if model._meta.app_label not in OWN_APPS or model._meta.auto_created or label in NOT_TRACKED:
            continue
        if issubclass(model, pghistory.models.Event) or label.endswith(("Job", "Run")):
            continue
        if label not in tracked:
            missing.append(label)
    assert missing == []
