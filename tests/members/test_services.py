import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from accounts.enums import Role
from core.enums import JournalAction
from core.exceptions import BusinessRuleError
from core.models import JournalEntry
from members import services
from members.enums import GroupementKind, GroupementStatus, LeaveReason, MembershipCategory
from members.models import GhtMembership, Membership, MembershipTerms
from tests.members.factories import (
    GroupementFactory,
    LegalEntityFactory,
    MembershipFactory,
    MembershipTermsFactory,
)


pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Europe/Paris")), tick=False)


D = datetime.date


def admit(**kwargs):
    defaults = {
        "category": MembershipCategory.MANDATORY,
        "admitted_on": D(2026, 3, 1),
        "act": "Délibération de l'AG n° 2026-02 du 20 février 2026, adoptée à l'unanimité",
        "voting_rights": Decimal("10"),
        "contribution_share": Decimal("12.5"),
    }
    defaults.update(kwargs)
    defaults.setdefault("groupement", GroupementFactory())
    defaults.setdefault("legal_entity", LegalEntityFactory())
    return services.membership_admit(**defaults)


def member(groupement=None, **kwargs):
    """A current member with its first terms."""
    membership = MembershipFactory(groupement=groupement or GroupementFactory(), **kwargs)
    MembershipTermsFactory(membership=membership)
    return membership


def journal(action):
    return list(JournalEntry.objects.filter(action=action))


class TestMembershipAdmit:
    def test_admits_a_founding_member_with_its_first_terms_and_journals_it(self, user_with_role):
        groupement = GroupementFactory()
        actor = user_with_role(Role.GROUPEMENT_STAFF, groupement)
        membership = admit(
            groupement=groupement, founding=True, act="Convention constitutive du 1er mars 2026", actor=actor
        )

        assert membership.founding
        assert membership.groupement_kind == GroupementKind.GTSMS
        assert membership.admission_act == "Convention constitutive du 1er mars 2026"
        terms = membership.terms.get()
        assert (terms.valid_from, terms.voting_rights, terms.contribution_share) == (
            D(2026, 3, 1),
            Decimal("10"),
            Decimal("12.5"),
        )
        (entry,) = journal(JournalAction.MEMBER_ADMITTED)
        assert entry.actor == actor
        assert entry.target == membership
        assert entry.facts["groupement"] == groupement.pk
        assert entry.facts["admitted_on"] == "2026-03-01"
        assert entry.facts["founding"] is True
        assert JournalEntry.objects.filter(facts__groupement=groupement.pk).count() == 1

    def test_admits_a_later_member_by_deliberation(self):
        membership = admit()
        assert not membership.founding
        assert "unanimité" in membership.admission_act

    def test_refuses_an_admission_without_its_act(self):
        with pytest.raises(BusinessRuleError, match="Indiquez l'acte"):
            admit(act="   ")
        assert not Membership.objects.exists()

    def test_refuses_a_private_entity_as_member_of_a_gtsms(self):
        with pytest.raises(BusinessRuleError, match=r"seulement partenaire par convention.*L\. 312-7"):
            admit(legal_entity=LegalEntityFactory(private=True))
        assert not journal(JournalAction.MEMBER_ADMITTED)

    def test_admits_a_private_entity_as_partner(self):
        membership = admit(
            legal_entity=LegalEntityFactory(private=True), category=MembershipCategory.PARTNER, voting_rights=0
        )
        assert membership.category == MembershipCategory.PARTNER

    def test_admits_a_private_entity_as_member_of_a_gcsms(self):
        gcsms = GroupementFactory(kind=GroupementKind.GCSMS)
        membership = admit(groupement=gcsms, legal_entity=LegalEntityFactory(private=True))
        assert membership.groupement_kind == GroupementKind.GCSMS

    def test_refuses_voting_rights_for_a_partner(self):
        with pytest.raises(BusinessRuleError, match="droits de vote doivent être de 0"):
            admit(category=MembershipCategory.PARTNER, voting_rights=Decimal("1"))

    def test_refuses_a_member_of_another_gtsms_and_names_it(self):
        other = GroupementFactory(name="GTSMS Creuse Sud")
        entity = LegalEntityFactory()
        MembershipFactory(groupement=other, legal_entity=entity)

        with pytest.raises(BusinessRuleError) as error:
            admit(legal_entity=entity)
        assert "GTSMS « GTSMS Creuse Sud »" in error.value.messages[0]
        assert "L. 312-7-2 I" in error.value.messages[0]

    def test_admits_once_the_other_gtsms_has_been_left(self):
        entity = LegalEntityFactory()
        MembershipFactory(legal_entity=entity, withdrawn=True)  # left on 1 January 2027
        membership = admit(legal_entity=entity, admitted_on=D(2027, 1, 1))
        assert membership.admitted_on == D(2027, 1, 1)

    def test_refuses_an_admission_before_the_other_gtsms_is_left(self):
        entity = LegalEntityFactory()
        MembershipFactory(legal_entity=entity, withdrawn=True)
        with pytest.raises(BusinessRuleError, match="jusqu'au 31 décembre 2026"):
            admit(legal_entity=entity, admitted_on=D(2026, 12, 31))

    def test_admits_a_member_of_another_gtsms_as_partner(self):
        entity = LegalEntityFactory()
        MembershipFactory(legal_entity=entity)
        membership = admit(legal_entity=entity, category=MembershipCategory.PARTNER, voting_rights=0)
        assert membership.category == MembershipCategory.PARTNER

    def test_admits_a_member_of_a_gcsms_into_a_gtsms(self):
        entity = LegalEntityFactory()
        MembershipFactory(legal_entity=entity, groupement=GroupementFactory(kind=GroupementKind.GCSMS))
        assert admit(legal_entity=entity)

    def test_refuses_a_second_period_in_the_same_groupement(self):
        groupement = GroupementFactory()
        entity = LegalEntityFactory()
        MembershipFactory(groupement=groupement, legal_entity=entity, partner=True)
        with pytest.raises(BusinessRuleError, match="déjà rattachée à ce groupement"):
            admit(groupement=groupement, legal_entity=entity, category=MembershipCategory.PARTNER, voting_rights=0)

    def test_a_concurrent_admission_refused_by_the_database_names_the_other_gtsms(self, monkeypatch):
        """The database constraint is the last guard; its error becomes the same French message."""
        other = GroupementFactory(name="GTSMS du Limousin")
        entity = LegalEntityFactory()
        MembershipFactory(groupement=other, legal_entity=entity)
        monkeypatch.setattr(services, "_check_one_gtsms_at_a_time", lambda **kwargs: None)
        monkeypatch.setattr(Membership, "validate_constraints", lambda self, exclude=None: None)

        with pytest.raises(BusinessRuleError, match="« GTSMS du Limousin »"):
            admit(legal_entity=entity)
        assert Membership.objects.count() == 1

    def test_refuses_an_admission_into_a_dissolved_groupement(self):
        groupement = GroupementFactory(status=GroupementStatus.DISSOLVED, dissolved_on=D(2026, 6, 1))
        with pytest.raises(BusinessRuleError, match="dissous"):
            admit(groupement=groupement)

    def test_refuses_a_closed_legal_entity(self):
        with pytest.raises(BusinessRuleError, match="fermée dans FINESS"):
            admit(legal_entity=LegalEntityFactory(closed=True, closed_on=D(2025, 12, 31)))

    def test_model_validation_errors_name_the_field_in_french(self):
        with pytest.raises(BusinessRuleError, match="droits de vote : "):
            admit(voting_rights=Decimal("1.234"))

    def test_refuses_a_share_above_one_hundred_percent(self):
        with pytest.raises(BusinessRuleError, match="part des charges"):
            admit(contribution_share=Decimal("120"))
        assert not Membership.objects.exists()


class TestWithdrawalEarliestLeftOn:
    @pytest.mark.parametrize(
        ("notified_on", "earliest"),
        [
            (D(2026, 1, 15), D(2027, 1, 1)),
            (D(2026, 6, 30), D(2027, 1, 1)),
            (D(2026, 7, 1), D(2028, 1, 1)),
            (D(2026, 12, 31), D(2028, 1, 1)),
        ],
    )
    def test_six_months_notice_before_the_end_of_the_financial_year(self, notified_on, earliest):
        assert services.withdrawal_earliest_left_on(notified_on) == earliest


class TestMembershipWithdraw:
    def test_records_a_withdrawal_notified_by_30_june_and_journals_it(self, user_with_role):
        membership = member()
        actor = user_with_role(Role.GROUPEMENT_DIRECTOR, membership.groupement)
        services.membership_withdraw(
            membership=membership,
            notified_on=D(2026, 6, 30),
            left_on=D(2027, 1, 1),
            act="Lettre recommandée du 30 juin 2026",
            actor=actor,
        )

        membership.refresh_from_db()
        assert membership.left_on == D(2027, 1, 1)
        assert membership.leave_reason == LeaveReason.WITHDRAWAL
        assert membership.leave_act == "Lettre recommandée du 30 juin 2026"
        assert membership.admission_act == "Convention constitutive"  # the period row keeps its history
        (entry,) = journal(JournalAction.MEMBER_WITHDRAWN)
        assert entry.facts["groupement"] == membership.groupement_id
        assert entry.facts["left_on"] == "2027-01-01"
        assert entry.actor == actor

    def test_refuses_a_withdrawal_notified_after_30_june_for_that_year(self):
        membership = member()
        with pytest.raises(BusinessRuleError, match=r"au plus tard le 30 juin 2026.*au plus tôt le 1er janvier 2028"):
            services.membership_withdraw(
                membership=membership, notified_on=D(2026, 7, 1), left_on=D(2027, 1, 1), act="Lettre"
            )
        membership.refresh_from_db()
        assert membership.left_on is None
        assert not journal(JournalAction.MEMBER_WITHDRAWN)

    def test_a_late_notice_takes_effect_at_the_end_of_the_next_year(self):
        membership = services.membership_withdraw(
            membership=member(), notified_on=D(2026, 7, 1), left_on=D(2028, 1, 1), act="Lettre"
        )
        assert membership.left_on == D(2028, 1, 1)

    def test_refuses_a_withdrawal_that_is_not_at_the_end_of_a_financial_year(self):
        with pytest.raises(BusinessRuleError, match="doit être un 1er janvier"):
            services.membership_withdraw(
                membership=member(), notified_on=D(2026, 2, 1), left_on=D(2026, 12, 31), act="Lettre"
            )

    def test_refuses_a_notice_dated_in_the_future(self):
        with pytest.raises(BusinessRuleError, match="dans le futur"):
            services.membership_withdraw(
                membership=member(), notified_on=D(2026, 12, 1), left_on=D(2028, 1, 1), act="Lettre"
            )

    def test_refuses_a_notice_before_the_admission(self):
        with pytest.raises(BusinessRuleError, match="ne peut pas précéder l'admission"):
            services.membership_withdraw(
                membership=member(), notified_on=D(2025, 6, 1), left_on=D(2027, 1, 1), act="Lettre"
            )

    def test_refuses_a_member_who_has_already_left(self):
        with pytest.raises(BusinessRuleError, match="a déjà quitté le groupement"):
            services.membership_withdraw(
                membership=MembershipFactory(withdrawn=True),
                notified_on=D(2026, 6, 1),
                left_on=D(2027, 1, 1),
                act="Lettre",
            )

    def test_refuses_a_withdrawal_before_terms_already_recorded(self):
        membership = member()
        MembershipTermsFactory(membership=membership, valid_from=D(2027, 1, 1))
        with pytest.raises(BusinessRuleError, match="1er janvier 2027"):
            services.membership_withdraw(
                membership=membership, notified_on=D(2026, 6, 1), left_on=D(2027, 1, 1), act="Lettre"
            )

    def test_refuses_a_withdrawal_without_its_act(self):
        with pytest.raises(BusinessRuleError, match="Indiquez l'acte"):
            services.membership_withdraw(membership=member(), notified_on=D(2026, 6, 1), left_on=D(2027, 1, 1), act="")

    def test_a_partner_leaves_on_the_terms_of_its_convention(self):
        partner = MembershipFactory(partner=True)
        membership = services.membership_withdraw(
            membership=partner, notified_on=D(2026, 10, 1), left_on=D(2026, 11, 1), act="Fin de la convention"
        )
        assert membership.left_on == D(2026, 11, 1)

    def test_a_member_who_left_can_be_admitted_again_in_a_new_period(self):
        membership = member()
        services.membership_withdraw(
            membership=membership, notified_on=D(2026, 3, 1), left_on=D(2027, 1, 1), act="Lettre"
        )
        again = admit(
            groupement=membership.groupement, legal_entity=membership.legal_entity, admitted_on=D(2028, 1, 1)
        )
        assert list(
            Membership.objects.filter(legal_entity=membership.legal_entity).values_list("admitted_on", "left_on")
        ) == [(D(2026, 1, 1), D(2027, 1, 1)), (again.admitted_on, None)]


def groupement_with_members(count):
    groupement = GroupementFactory()
    return groupement, [member(groupement) for _ in range(count)]


class TestMembershipExclude:
    def test_records_an_exclusion_in_a_groupement_of_three_members_and_journals_it(self):
        groupement, (excluded, *_) = groupement_with_members(3)
        services.membership_exclude(
            membership=excluded,
            hearing_on=D(2026, 9, 1),
            decided_on=D(2026, 9, 15),
            left_on=D(2026, 10, 1),
            act="Délibération de l'AG n° 2026-09 du 15 septembre 2026",
        )

        excluded.refresh_from_db()
        assert (excluded.left_on, excluded.leave_reason) == (D(2026, 10, 1), LeaveReason.EXCLUSION)
        (entry,) = journal(JournalAction.MEMBER_EXCLUDED)
        assert entry.facts["groupement"] == groupement.pk
        assert entry.facts["hearing_on"] == "2026-09-01"

    def test_an_exclusion_may_take_effect_on_the_day_of_the_decision(self):
        _, (excluded, *_) = groupement_with_members(3)
        services.membership_exclude(
            membership=excluded, hearing_on=D(2026, 9, 15), decided_on=D(2026, 9, 15), left_on=D(2026, 9, 15), act="AG"
        )
        assert excluded.left_on == D(2026, 9, 15)

    def test_refuses_an_exclusion_in_a_groupement_of_two_members(self):
        _, (excluded, _other) = groupement_with_members(2)
        with pytest.raises(BusinessRuleError, match="au moins 3 membres ; il en compte 2"):
            services.membership_exclude(
                membership=excluded,
                hearing_on=D(2026, 9, 1),
                decided_on=D(2026, 9, 15),
                left_on=D(2026, 10, 1),
                act="AG",
            )
        assert not journal(JournalAction.MEMBER_EXCLUDED)

    def test_partners_do_not_count_among_the_three_members(self):
        groupement, (excluded, _other) = groupement_with_members(2)
        MembershipFactory(groupement=groupement, partner=True)
        with pytest.raises(BusinessRuleError, match="il en compte 2"):
            services.membership_exclude(
                membership=excluded,
                hearing_on=D(2026, 9, 1),
                decided_on=D(2026, 9, 15),
                left_on=D(2026, 10, 1),
                act="AG",
            )

    def test_refuses_a_decision_taken_before_hearing_the_member(self):
        _, (excluded, *_) = groupement_with_members(3)
        with pytest.raises(BusinessRuleError, match="doit être entendu avant la décision"):
            services.membership_exclude(
                membership=excluded,
                hearing_on=D(2026, 9, 16),
                decided_on=D(2026, 9, 15),
                left_on=D(2026, 10, 1),
                act="AG",
            )

    def test_refuses_a_leaving_date_before_the_decision(self):
        _, (excluded, *_) = groupement_with_members(3)
        with pytest.raises(BusinessRuleError, match="ne peut pas précéder la décision"):
            services.membership_exclude(
                membership=excluded,
                hearing_on=D(2026, 9, 1),
                decided_on=D(2026, 9, 15),
                left_on=D(2026, 9, 1),
                act="AG",
            )

    def test_refuses_a_decision_dated_in_the_future(self):
        _, (excluded, *_) = groupement_with_members(3)
        with pytest.raises(BusinessRuleError, match="dans le futur"):
            services.membership_exclude(
                membership=excluded,
                hearing_on=D(2026, 9, 1),
                decided_on=D(2026, 12, 1),
                left_on=D(2026, 12, 1),
                act="AG",
            )

    def test_refuses_to_exclude_a_partner(self):
        groupement, _ = groupement_with_members(3)
        partner = MembershipFactory(groupement=groupement, partner=True)
        with pytest.raises(BusinessRuleError, match="partenaire par convention n'est pas membre"):
            services.membership_exclude(
                membership=partner,
                hearing_on=D(2026, 9, 1),
                decided_on=D(2026, 9, 15),
                left_on=D(2026, 10, 1),
                act="AG",
            )

    def test_refuses_a_member_who_has_already_left(self):
        groupement, _ = groupement_with_members(3)
        left = MembershipFactory(groupement=groupement, withdrawn=True)
        with pytest.raises(BusinessRuleError, match="a déjà quitté"):
            services.membership_exclude(
                membership=left, hearing_on=D(2026, 9, 1), decided_on=D(2026, 9, 15), left_on=D(2026, 10, 1), act="AG"
            )


class TestMembershipTermsChange:
    def test_adds_a_dated_row_and_keeps_the_earlier_ones(self):
        membership = member()
        terms = services.membership_terms_change(
            membership=membership,
            valid_from=D(2027, 1, 1),
            voting_rights=Decimal("12"),
            contribution_share=Decimal("14.25"),
            act="Délibération budgétaire du 20 octobre 2026",
        )

        assert list(membership.terms.order_by("valid_from").values_list("valid_from", "voting_rights")) == [
            (D(2026, 1, 1), Decimal("1.00")),
            (D(2027, 1, 1), Decimal("12.00")),
        ]
        assert terms.act == "Délibération budgétaire du 20 octobre 2026"
        (entry,) = journal(JournalAction.MEMBERSHIP_TERMS_CHANGED)
        assert entry.facts["groupement"] == membership.groupement_id
        assert entry.facts["contribution_share"] == "14.25"

    def test_refuses_to_rewrite_history(self):
        membership = member()
        with pytest.raises(BusinessRuleError, match="l'historique n'est jamais réécrit"):
            services.membership_terms_change(
                membership=membership,
                valid_from=D(2026, 1, 1),
                voting_rights=Decimal("2"),
                contribution_share=Decimal("5"),
                act="AG",
            )
        assert MembershipTerms.objects.count() == 1

    def test_refuses_terms_before_the_admission(self):
        with pytest.raises(BusinessRuleError, match="ne peuvent pas précéder l'admission"):
            services.membership_terms_change(
                membership=member(),
                valid_from=D(2025, 6, 1),
                voting_rights=Decimal("2"),
                contribution_share=Decimal("5"),
                act="AG",
            )

    def test_refuses_terms_after_leaving(self):
        membership = MembershipFactory(withdrawn=True)
        with pytest.raises(BusinessRuleError, match="après sa sortie"):
            services.membership_terms_change(
                membership=membership,
                valid_from=D(2027, 1, 1),
                voting_rights=Decimal("2"),
                contribution_share=Decimal("5"),
                act="AG",
            )

    def test_refuses_voting_rights_for_a_partner(self):
        with pytest.raises(BusinessRuleError, match="droits de vote doivent être de 0"):
            services.membership_terms_change(
                membership=MembershipFactory(partner=True),
                valid_from=D(2027, 1, 1),
                voting_rights=Decimal("2"),
                contribution_share=Decimal("5"),
                act="Avenant",
            )

    def test_refuses_a_negative_share(self):
        with pytest.raises(BusinessRuleError, match="part des charges"):
            services.membership_terms_change(
                membership=member(),
                valid_from=D(2027, 1, 1),
                voting_rights=Decimal("2"),
                contribution_share=Decimal("-1"),
                act="AG",
            )
        assert not journal(JournalAction.MEMBERSHIP_TERMS_CHANGED)


class TestGhtMembershipSave:
    def test_records_and_journals_a_ght_membership(self):
        entity = LegalEntityFactory()
        ght = services.ght_membership_save(
            ght_membership=GhtMembership(legal_entity=entity, ght_name="GHT du Limousin", since=D(2020, 1, 1))
        )
        assert ght.pk
        (entry,) = journal(JournalAction.GHT_MEMBERSHIP_RECORDED)
        assert entry.facts == {
            "legal_entity": entity.pk,
            "ght": "GHT du Limousin",
            "since": "2020-01-01",
            "until": None,
            "created": True,
        }

    def test_refuses_dates_out_of_order(self):
        with pytest.raises(BusinessRuleError):
            services.ght_membership_save(
                ght_membership=GhtMembership(
                    legal_entity=LegalEntityFactory(), ght_name="GHT", since=D(2020, 1, 1), until=D(2019, 1, 1)
                )
            )
