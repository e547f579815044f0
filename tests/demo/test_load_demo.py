import json

import pytest
from django.apps import apps
from django.core.management import call_command

from accounts.enums import Role
from demo.services import demo_load
from members.models import Groupement, Membership


pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_the_demo_has_two_groupements_in_two_regions_with_every_audience():
    accounts = demo_load()
    groupements = Groupement.objects.order_by("slug")
    assert [g.region_id for g in groupements] == ["75", "76"]
    for groupement in groupements:
        assert Membership.objects.filter(groupement=groupement).count() >= 5
    roles = [a["role"] for a in accounts]
    assert roles.count(Role.GROUPEMENT_DIRECTOR.label) == 2
    assert roles.count(Role.ESTABLISHMENT_DIRECTOR.label) == 4
    assert roles.count(Role.ARS_REVIEWER.label) == 2
    assert Role.DEPARTEMENT_READER.label in roles and Role.PLATFORM_ADMIN.label in roles


def test_a_second_run_changes_nothing():
    first = demo_load()
    before = row_counts()
    second = demo_load()
    assert second == first
    assert row_counts() == before


def test_the_command_ends_with_the_accounts_as_json(capsys):
    call_command("load_demo")
    last = capsys.readouterr().out.strip().splitlines()[-1]
    accounts = json.loads(last)["accounts"]
    assert all(set(a) == {"email", "password", "role", "scope"} for a in accounts)
