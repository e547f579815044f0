import datetime
from decimal import Decimal

import factory

from members.eligibility import establishment_eligibility
from members.enums import EligibilityCategory, GroupementKind, GroupementStatus, LeaveReason, MembershipCategory
from members.models import Departement, Establishment, Groupement, LegalEntity, Membership, MembershipTerms, Region
from tests.utils import luhn_complete


class GroupementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Groupement
        skip_postgeneration_save = True

    kind = GroupementKind.GTSMS
    name = factory.Sequence(lambda n: f"GTSMS de test {n}")
    slug = factory.Sequence(lambda n: f"gtsms-test-{n}")
    region = factory.LazyFunction(lambda: Region.objects.get(code="75"))
    status = GroupementStatus.CONSTITUTED
    seat_city = "Guéret"

    @factory.post_generation
    def departements(obj, create, extracted, **kwargs):
        if create:
            codes = extracted if extracted is not None else ["23"]
            obj.departements.set(Departement.objects.filter(code__in=codes))


class LegalEntityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LegalEntity

    finess = factory.Sequence(lambda n: luhn_complete(f"23{n:06d}"))
    name = factory.Sequence(lambda n: f"EHPAD PUBLIC AUTONOME {n}")
    departement_code = "23"
    statut_code = "21"
    statut_label = "Etablissement Social Communal"

    class Params:
        private = factory.Trait(statut_code="61", statut_label="Association Loi 1901 non Reconnue d'Utilité Publique")


class EstablishmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Establishment

    finess = factory.Sequence(lambda n: luhn_complete(f"23{n + 500000:06d}"))
    legal_entity = factory.SubFactory(LegalEntityFactory)
    name = factory.Sequence(lambda n: f"EHPAD DE TEST {n}")
    departement = factory.LazyFunction(lambda: Departement.objects.get(code="23"))
    category_code = "500"
    category_label = "Etablissement d'hébergement pour personnes âgées dépendantes"
    routing_line = "23000 GUERET"
    # Stored as the FINESS import stores them: computed from the legal entity's statut and the category.
    eligibility = factory.LazyAttribute(
        lambda o: establishment_eligibility(statut_code=o.legal_entity.statut_code, category_code=o.category_code)[0]
    )
    eligibility_rule = factory.LazyAttribute(
        lambda o: establishment_eligibility(statut_code=o.legal_entity.statut_code, category_code=o.category_code)[1]
    )

    class Params:
        mandatory = factory.Trait(
            eligibility=EligibilityCategory.MANDATORY, eligibility_rule="MANDATORY_AUTONOMOUS_PUBLIC_EHPAD"
        )


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    groupement = factory.SubFactory(GroupementFactory)
    legal_entity = factory.SubFactory(LegalEntityFactory)
    groupement_kind = factory.LazyAttribute(lambda o: o.groupement.kind)
    category = MembershipCategory.MANDATORY
    founding = True
    admitted_on = datetime.date(2026, 1, 1)
    admission_act = "Convention constitutive"

    class Params:
        partner = factory.Trait(category=MembershipCategory.PARTNER, founding=False)
        withdrawn = factory.Trait(
            left_on=datetime.date(2027, 1, 1), leave_reason=LeaveReason.WITHDRAWAL, leave_act="Retrait notifié"
        )


class MembershipTermsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MembershipTerms

    membership = factory.SubFactory(MembershipFactory)
    valid_from = factory.LazyAttribute(lambda o: o.membership.admitted_on)
    voting_rights = Decimal("1")
    contribution_share = Decimal("10")
    act = "Convention constitutive"
