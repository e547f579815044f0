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


TEMPLATES_DIR = settings.BASE_DIR / "templates"
# The templates that are not pages, each with its reason. Every other template is a page and extends
# base.html (directly or through a layout that does), or is a printed document and extends the print
# layout. A new kind of standalone template is added here, with its reason.
NOT_PAGES = {
    "base.html": "the layout of every page",
    "500.html": "rendered when the server fails, without context processors: standalone on purpose",
    "print/base_print.html": "the layout of every printed document (PDF)",
    "mail/base.html": "the layout of every e-mail's HTML part (core.mail)",
}
# Pieces included in a page (``{% include %}``, htmx partials), never rendered as a page themselves.
FRAGMENT_FOLDERS = {"includes", "components", "partials"}
PAGE_LAYOUT = "base.html"
PRINT_LAYOUT = "print/base_print.html"
MAIL_LAYOUT = "mail/base.html"
EXTENDS = re.compile(r'\A\s*(?:\{#.*?#\}\s*)*\{% extends "([^"]+)" %\}', re.DOTALL)


def _layouts(name: str) -> list[str]:
    """The chain of templates ``name`` extends, nearest first (empty if it extends nothing)."""
    chain = []
    while (match := EXTENDS.match((TEMPLATES_DIR / name).read_text(encoding="utf-8"))) and len(chain) < 10:
        name = match.group(1)
        chain.append(name)
    return chain


def _templates() -> list[tuple[str, tuple[str, ...]]]:
    names = sorted(path.relative_to(TEMPLATES_DIR).as_posix() for path in TEMPLATES_DIR.rglob("*.html"))
    return [(name, tuple(name.split("/")[:-1])) for name in names]


def test_every_page_template_extends_the_base():
    """Pages extend base.html, printed documents the print layout, e-mails the mail layout; only the
    listed templates and the fragments (``includes/``, ``components/``, ``partials/``) do not."""
    offenders = []
    for name, folders in _templates():
        if name in NOT_PAGES or FRAGMENT_FOLDERS & set(folders):
            continue
        layout = PRINT_LAYOUT if "print" in folders else MAIL_LAYOUT if folders[:1] == ("mail",) else PAGE_LAYOUT
        chain = _layouts(name)
        if layout not in chain:
            offenders.append(f"{name} extends {' → '.join(chain) or 'nothing'}, not {layout}")
    assert offenders == []


def test_fragments_and_standalone_templates_are_what_they_say():
    """A fragment extends nothing (it is included in a page); every listed standalone template exists."""
    fragments_extending = [
        name for name, folders in _templates() if FRAGMENT_FOLDERS & set(folders) and "{% extends" in
        (TEMPLATES_DIR / name).read_text(encoding="utf-8")
    ]  # fmt: skip
    assert fragments_extending == []
    assert [name for name in NOT_PAGES if not (TEMPLATES_DIR / name).is_file()] == []


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
