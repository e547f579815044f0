import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from accounts.enums import Role
from functions import services
from functions.enums import PostMode
from functions.models import FunctionType
from tests.members.factories import GroupementFactory, LegalEntityFactory, MembershipFactory


D = datetime.date


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 6, 15, 10, tzinfo=ZoneInfo("Europe/Paris")), tick=False)


@pytest.fixture
def groupement(db):
    return GroupementFactory(name="GTSMS Creuse Nord", slug="creuse-nord")


@pytest.fixture
def make_member(groupement):
    """A legal entity admitted to the groupement on 1 January 2026 (FINESS numbers grow with each call)."""

    def make(admitted_on=None, **kwargs):
        admitted_on = admitted_on or D(2026, 1, 1)
        return MembershipFactory(groupement=groupement, admitted_on=admitted_on, **kwargs).legal_entity

    return make


@pytest.fixture
def members(make_member):
    return [make_member() for _ in range(3)]


@pytest.fixture
def director(user_with_role, groupement):
    return user_with_role(Role.GROUPEMENT_DIRECTOR, groupement)


@pytest.fixture
def quality_type(db):
    return FunctionType.objects.get(code="qualite-risques", groupement__isnull=True)


@pytest.fixture
def function(groupement, quality_type):
    return services.function_create(
        groupement=groupement,
        function_type=quality_type,
        title="Qualité et gestion des risques",
        starts_on=D(2026, 1, 1),
    )


@pytest.fixture
def subscribed(function, members):
    for entity in members:
        services.subscription_create(function=function, legal_entity=entity, starts_on=D(2026, 1, 1))
    return members


@pytest.fixture
def post(function):
    return services.post_create(
        function=function,
        job_title="Responsable qualité",
        fte=Decimal("0.8"),
        mode=PostMode.RECRUITED,
        yearly_cost=Decimal("48000.00"),
        starts_on=D(2026, 1, 1),
    )


@pytest.fixture
def other_entity(db):
    return LegalEntityFactory()
