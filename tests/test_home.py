import json

import pytest
from bs4 import BeautifulSoup

from accounts.enums import Role
from accounts.roles import AUDIENCES, ROLE_SPECS, audiences_for
from members.models import Departement, Region
from tests.accounts.factories import UserFactory
from tests.members.factories import EstablishmentFactory, GroupementFactory


pytestmark = pytest.mark.django_db


SCOPE_OBJECTS = {
    "groupement": GroupementFactory,
    "establishment": EstablishmentFactory,
    "region": lambda: Region.objects.get(code="75"),
    "departement": lambda: Departement.objects.get(code="23"),
}


def nav_labels(response) -> list[str]:
    nav = BeautifulSoup(response.content, "html.parser").select_one("nav.main-nav")
    return [link.get_text(strip=True) for link in nav.select("a")]


@pytest.mark.parametrize(
    ("role", "target", "entries"),
    [
        (Role.GROUPEMENT_DIRECTOR, "/groupement/", ["Groupement"]),
        (Role.GROUPEMENT_STAFF, "/groupement/", ["Groupement"]),
        (Role.ESTABLISHMENT_DIRECTOR, "/portail/", ["Mon établissement"]),
        (Role.ARS_REVIEWER, "/ars/", ["Revue ARS"]),
        (Role.DEPARTEMENT_READER, "/ars/", ["Revue ARS"]),
        (Role.PLATFORM_ADMIN, "/groupement/", ["Groupement", "Administration"]),
    ],
)
def test_each_role_lands_on_its_home_and_sees_exactly_its_entries(client, user_with_role, role, target, entries):
    scope = ROLE_SPECS[role].scope
    client.force_login(user_with_role(role, SCOPE_OBJECTS[scope]() if scope else None))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == target
    page = client.get(target, follow=True)
    assert page.status_code == 200
    assert nav_labels(page) == entries


def test_every_role_has_an_audience_and_the_table_drives_home_and_navigation():
    for role in Role:
        assert audiences_for([role]), role
    assert [audience.label for audience in audiences_for(list(Role))] == [a.label for a in AUDIENCES]


def test_a_user_of_two_audiences_lands_on_the_first_and_sees_both(client, user_with_role):
    from accounts.services import role_grant

    user = user_with_role(Role.ESTABLISHMENT_DIRECTOR, EstablishmentFactory())
    role_grant(user=user, role=Role.GROUPEMENT_STAFF, scope_object=GroupementFactory())
    client.force_login(user)
    response = client.get("/")
    assert response["Location"] == "/groupement/"
    page = client.get("/portail/")
    assert nav_labels(page) == ["Groupement", "Mon établissement"]
    current = BeautifulSoup(page.content, "html.parser").select('nav.main-nav a[aria-current="page"]')
    assert [link.get_text(strip=True) for link in current] == ["Mon établissement"]


def test_a_user_without_role_is_told_what_to_do(client):
    client.force_login(UserFactory())
    response = client.get("/")
    assert response.status_code == 200
    assert "Aucun rôle attribué" in response.content.decode()


def test_healthz_reports_database_redis_and_worker_without_data(client):
    response = client.get("/healthz")
    body = json.loads(response.content)
    assert set(body) == {"db", "redis", "worker"}
    assert body["db"] == "ok" and body["redis"] == "ok"
    assert body["worker"] in ("ok", "absent")
    assert response.status_code == 200


def test_error_pages_are_in_french(client):
    client.force_login(UserFactory())
    response = client.get("/groupement/inexistant/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()
