import re

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from accounts.enums import Role
from accounts.models import RoleAssignment, User
from accounts.roles import group_name
from core import scale
from core.enums import JournalAction
from core.models import JournalEntry
from demo import data
from demo.scale import SCALE_DOMAIN, SLUG_PREFIX
from documents.models import GenerationJob
from members.enums import EligibilityCategory
from members.models import Establishment, Groupement, Membership
from tests.accounts.factories import UserFactory
from tests.members.factories import GroupementFactory


pytestmark = pytest.mark.django_db

SMALL = {"groupements": 3, "users": 30, "establishments": 1500}


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_a_small_national_instance_through_the_services(capsys):
    call_command("load_scale", **SMALL)

    groupements = list(Groupement.objects.filter(slug__startswith=SLUG_PREFIX).prefetch_related("departements"))
    assert len(groupements) == 3
    # One région after the other: the 1,500 establishments are in 01, 02 and 03 (two régions).
    assert {g.region_id for g in groupements} == {"84", "32"}
    for groupement in groupements:
        memberships = Membership.objects.filter(groupement=groupement).select_related("legal_entity")
        assert 1 <= memberships.count() <= 15
        for membership in memberships:  # drawn from the mandatory establishments of its département
            assert Establishment.objects.filter(
                legal_entity=membership.legal_entity,
                departement__in=groupement.departements.all(),
                eligibility=EligibilityCategory.MANDATORY,
            ).exists()
    assert Establishment.objects.count() == SMALL["establishments"]

    assert User.objects.filter(email__endswith=f"@{SCALE_DOMAIN}").count() == SMALL["users"]
    assignments = RoleAssignment.objects.active()
    assert {a.role for a in assignments} == set(Role)
    director = assignments.filter(role=Role.ESTABLISHMENT_DIRECTOR).select_related("establishment", "user").first()
    assert (
        Group.objects.get(name=group_name(director.role, director.establishment))
        .user_set.filter(pk=director.user_id)
        .exists()
    )  # rights are real: the user is in the role's group
    assert JournalEntry.objects.filter(action=JournalAction.ROLE_GRANTED).count() == SMALL["users"]
    assert JournalEntry.objects.filter(action=JournalAction.MEMBER_ADMITTED).count() == Membership.objects.count()
    assert apps.get_model("members", "MembershipEvent").objects.count() >= Membership.objects.count()  # pghistory
    # members: register and workbook; functions: the cost sharing (PDF and XLSX), for each groupement
    assert GenerationJob.objects.filter(groupement__in=groupements).count() == 12
    from functions.models import GroupementFunction

    assert {f.groupement_id for f in GroupementFunction.objects.all()} == {g.pk for g in groupements}

    output = capsys.readouterr().out
    assert re.search(r"Étape 1/\d+ : Extrait FINESS national", output)  # rooms add steps after it
    assert "Instance nationale prête" in output


def test_a_second_run_changes_nothing():
    call_command("load_scale", **SMALL)
    before = row_counts()
    call_command("load_scale", **SMALL)
    assert row_counts() == before


@pytest.mark.parametrize("demo", ["groupement", "user"])
def test_refuses_a_database_that_holds_the_demo(demo):
    if demo == "groupement":
        GroupementFactory(slug=data.GROUPEMENTS[0]["slug"])
    else:
        UserFactory(email=f"admin@{data.DEMO_DOMAIN}")
    with pytest.raises(CommandError, match="contient la démonstration"):
        call_command("load_scale", **SMALL)
    assert not Establishment.objects.exists()


def test_builds_next_to_the_demo_when_forced():
    GroupementFactory(slug=data.GROUPEMENTS[0]["slug"])
    call_command("load_scale", force=True, groupements=1, users=6, establishments=600)
    assert Groupement.objects.filter(slug__startswith=SLUG_PREFIX).count() == 1


def test_a_size_must_be_positive():
    with pytest.raises(CommandError, match="--users"):
        call_command("load_scale", groupements=3, users=0)


class TestRegistry:
    @pytest.fixture
    def registry(self, monkeypatch):
        monkeypatch.setattr(scale, "_steps", {})

    def test_a_step_runs_after_those_it_names(self, registry):
        scale.register("governance", print, after=("functions",))
        scale.register("members", print)
        scale.register("functions", print, after=("members",))
        assert [step.name for step in scale.steps()] == ["members", "functions", "governance"]

    def test_an_unknown_or_circular_order_is_an_error(self, registry):
        scale.register("a", print, after=("b",))
        with pytest.raises(ValueError, match="no room registered"):
            scale.steps()
        scale.register("b", print, after=("a",))
        with pytest.raises(ValueError, match="cycle"):
            scale.steps()

    def test_the_demo_room_registers_the_first_steps_and_the_key_pages(self):
        scale.discover()
        assert [step.name for step in scale.steps()][:5] == [
            "finess",
            "groupements",
            "members",
            "accounts",
            "documents",
        ]
        names = {page.name for page in scale.pages()}
        assert {"Portail de l'établissement", "Couverture de la région", "Administration : établissements"} <= names
