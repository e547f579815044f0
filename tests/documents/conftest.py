import datetime
from decimal import Decimal

import pytest

from accounts.enums import Role
from members.enums import LeaveReason, MembershipCategory
from tests.members.factories import (
    EstablishmentFactory,
    GroupementFactory,
    LegalEntityFactory,
    MembershipFactory,
    MembershipTermsFactory,
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Each test stores its files in its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def make_groupement(db):
    """A groupement with ``members`` members (``establishments`` each), shares summing to 100 %."""

    def make(members=3, establishments=2, *, left=0, partner=0, shares=None, **fields):
        groupement = GroupementFactory(**fields)
        if shares is None:
            even = (Decimal(100) / members).quantize(Decimal("0.0001"))
            shares = [even] * (members - 1) + [Decimal(100) - even * (members - 1)]
        for index in range(members):
            entity = LegalEntityFactory(name=f"EHPAD MEMBRE {index:03d}", street_name="RUE DES ROSES")
            for number in range(establishments):
                EstablishmentFactory(legal_entity=entity, name=f"RESIDENCE {index:03d}-{number}")
            membership = MembershipFactory(groupement=groupement, legal_entity=entity)
            MembershipTermsFactory(
                membership=membership, voting_rights=Decimal(index + 1), contribution_share=shares[index]
            )
        for index in range(left):
            entity = LegalEntityFactory(name=f"EHPAD SORTI {index:03d}")
            EstablishmentFactory(legal_entity=entity, name=f"RESIDENCE SORTIE {index:03d}")
            membership = MembershipFactory(
                groupement=groupement,
                legal_entity=entity,
                admitted_on=datetime.date(2026, 1, 1),
                left_on=datetime.date(2026, 3, 1),
                leave_reason=LeaveReason.WITHDRAWAL,
                leave_act="Délibération n° 2026-03",
            )
            MembershipTermsFactory(membership=membership, voting_rights=Decimal(2), contribution_share=Decimal(5))
        for index in range(partner):
            entity = LegalEntityFactory(name=f"PARTENAIRE {index:03d}")
            MembershipFactory(groupement=groupement, legal_entity=entity, category=MembershipCategory.PARTNER)
        return groupement

    return make


@pytest.fixture
def director(user_with_role):
    def make(groupement):
        return user_with_role(Role.GROUPEMENT_DIRECTOR, groupement)

    return make


@pytest.fixture
def staff(user_with_role):
    def make(groupement):
        return user_with_role(Role.GROUPEMENT_STAFF, groupement)

    return make
