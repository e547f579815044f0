import json

import pytest

from accounts.enums import Role
from members.models import Departement, Region
from tests.accounts.factories import UserFactory
from tests.members.factories import EstablishmentFactory, GroupementFactory


pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "scope", "target"),
    [
        (Role.GROUPEMENT_DIRECTOR, "groupement", "/groupement/"),
        (Role.GROUPEMENT_STAFF, "groupement", "/groupement/"),
        (Role.ESTABLISHMENT_DIRECTOR, "establishment", "/portail/"),
        (Role.ARS_REVIEWER, "region", "/ars/"),
        (Role.DEPARTEMENT_READER, "departement", "/ars/"),
        (Role.PLATFORM_ADMIN, None, "/groupement/"),
    ],
)
def test_home_sends_each_role_to_its_audience(client, user_with_role, role, scope, target):
    objects = {
        "groupement": GroupementFactory,
        "establishment": EstablishmentFactory,
        "region": lambda: Region.objects.get(code="75"),
        "departement": lambda: Departement.objects.get(code="23"),
    }
    client.force_login(user_with_role(role, objects[scope]() if scope else None))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == target
    assert client.get(target, follow=True).status_code == 200


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
    # Whether a worker answers depends on the machine (the shared broker); tests/chaos/test_healthz.py
    # pins both answers on a private broker.
    assert response.status_code == 200


def test_error_pages_are_in_french(client):
    client.force_login(UserFactory())
    response = client.get("/groupement/inexistant/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()
