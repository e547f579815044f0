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
        if relative.name.startswith("_") or "{% extends" not in text and "<html" not in text:
            continue  # fragments (htmx partials)
        assert text.lstrip().startswith("{% extends"), f"{relative} does not extend a layout"
