"""Deny by default, proved over the whole URLconf (quality.md §4.5, cisagov/manage.get.gov pattern).

A new URL that forgets its protection fails here: every route must send an anonymous visitor to
a login page unless it is in PUBLIC_URLS, and every non-GET request from an ARS or département
reader is refused, whatever the URL.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.enums import Role
from members.models import Departement, Region


pytestmark = pytest.mark.django_db

# The only routes an anonymous visitor may open (by URL name).
PUBLIC_URLS = {
    "healthz",
    "accessibility",
    "accounts:login",
    "accounts:logout",
    "admin:login",
    "accounts:invitation_accept",  # the link of an invitation e-mail: the token is the credential
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
}
ADMIN_NAMESPACE = "admin"
# The only non-GET requests a reader may make: signing out, ending their own sessions.
READER_WRITES_ALLOWED = {"accounts:logout", "accounts:session_list"}  # and ending one's own sessions
# Invitations: ARS agents invite their colleagues (docs/permissions.md, "Invitations"); the middleware
# lets the request through and the service checks the invitation table, so a reader is still refused
# (403), or finds nothing at a sample URL (404, 410 for a wrong invitation link).
READER_WRITES_CHECKED_BY_SERVICE = {
    "accounts:region_people",
    "accounts:invitation_resend",
    "accounts:invitation_cancel",
    "accounts:role_revoke",
    "accounts:invitation_accept",
}

SAMPLE = {
    "int": "1",
    "slug": "exemple",
    "str": "exemple",
    "uuid": "0b9d8c1e-6f3a-4c2b-9e7d-5a4f3b2c1d0e",
    "path": "exemple/x",
}


def _sample_url(pattern: str) -> str:
    """Turn a route or regex into a concrete URL with sample values for its parameters."""
    url = re.sub(r"\(\?P<(\w+)>[^)]*\)", "1", pattern)  # regex groups (admin)
    url = re.sub(r"\(\?:[^)]*\)\??", "", url)
    url = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE[m.group(1) or "str"], url)
    return "/" + url.lstrip("^").rstrip("$").replace("\\", "").replace("^", "")


def all_urls(resolver=None, prefix="", namespace=None):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            full_ns = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else ns
            yield from all_urls(entry, prefix + route, full_ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name or ''}" if namespace else entry.name
            yield name, _sample_url(prefix + route)


URLS = sorted(set(all_urls()), key=lambda item: item[1])


def test_every_route_has_a_name():
    """Unnamed routes cannot be listed in the allow-lists, so they are refused (the admin's own excepted)."""
    assert [url for name, url in URLS if not name or (name.endswith(":") and name != f"{ADMIN_NAMESPACE}:")] == []


@pytest.mark.parametrize(("name", "url"), URLS, ids=[url for _, url in URLS])
def test_anonymous_visitors_are_sent_to_a_login_page(client, name, url):
    if name in PUBLIC_URLS:
        return
    response = client.get(url)
    assert response.status_code == 302, f"{name} ({url}) answers {response.status_code} to an anonymous visitor"
    assert response["Location"].startswith(("/comptes/connexion/", "/admin/login/")), (
        f"{name} redirects to {response['Location']}"
    )


def test_public_pages_answer_without_login(client):
    assert client.get("/accessibilite/").status_code == 200
    assert client.get("/comptes/connexion/").status_code == 200
    assert client.get("/healthz").status_code == 200  # PostgreSQL and Redis run on loopback (tests/chaos: 503)


def test_healthz_answers_503_and_says_why_when_redis_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"db": "ok", "redis": "error", "worker": "absent"}


@pytest.fixture(params=[Role.ARS_REVIEWER, Role.DEPARTEMENT_READER])
def reader_client(request, client, user_with_role):
    scope = Region.objects.get(code="75") if request.param == Role.ARS_REVIEWER else Departement.objects.get(code="23")
    client.force_login(user_with_role(request.param, scope))
    return client


@pytest.mark.parametrize(("name", "url"), URLS, ids=[url for _, url in URLS])
def test_readers_can_never_write(reader_client, name, url):
    for method in ("post", "put", "patch", "delete"):
        response = getattr(reader_client, method)(url)
        if name in READER_WRITES_ALLOWED:
            assert response.status_code in (200, 302)
        elif name in READER_WRITES_CHECKED_BY_SERVICE:
            refused = (403, 404, 405, 410)
            assert response.status_code in refused, f"{method.upper()} {url} answers {response.status_code}"
        else:
            assert response.status_code == 403, f"{method.upper()} {url} answers {response.status_code}"
