"""The law of the AG as pure functions: hand-worked cases and properties (hypothesis)."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from core.exceptions import BusinessRuleError
from governance import rules
from governance.enums import DeliberationKind, MajorityRule, OrdinaryMajority, VoteChoice


D = Decimal
UTC = datetime.UTC


def ballots(*rows):
    return [rules.Ballot(member=i, rights=D(r), choice=c) for i, (r, c) in enumerate(rows)]


class TestConvocation:
    meeting_at = datetime.datetime(2027, 3, 20, 14, 0, tzinfo=UTC)

    def test_fifteen_days_ahead_is_allowed(self):
        rules.check_convocation(
            sent_at=self.meeting_at - datetime.timedelta(days=15),
            meeting_at=self.meeting_at,
            urgent=False,
            days=15,
            urgent_hours=48,
            source="défaut légal",
        )

    def test_fourteen_days_ahead_is_refused_with_the_delay_the_dates_and_the_article(self):
        with pytest.raises(BusinessRuleError) as error:
            rules.check_convocation(
                sent_at=self.meeting_at - datetime.timedelta(days=14),
                meeting_at=self.meeting_at,
                urgent=False,
                days=15,
                urgent_hours=48,
                source="défaut légal",
            )
        message = error.value.messages[0]
        assert "15 jours" in message and "R. 312-194-20" in message
        assert "20 mars 2027" in message and "5 mars 2027" in message

    def test_urgent_meeting_needs_48_hours(self):
        rules.check_convocation(
            sent_at=self.meeting_at - datetime.timedelta(hours=48),
            meeting_at=self.meeting_at,
            urgent=True,
            days=15,
            urgent_hours=48,
            source="défaut légal",
        )
        with pytest.raises(BusinessRuleError, match="48 heures"):
            rules.check_convocation(
                sent_at=self.meeting_at - datetime.timedelta(hours=47),
                meeting_at=self.meeting_at,
                urgent=True,
                days=15,
                urgent_hours=48,
                source="défaut légal",
            )

    def test_the_convention_may_set_another_delay(self):
        rules.check_convocation(
            sent_at=self.meeting_at - datetime.timedelta(days=8),
            meeting_at=self.meeting_at,
            urgent=False,
            days=8,
            urgent_hours=48,
            source="avenant n° 1",
        )


class TestSecondCall:
    def test_within_fifteen_days_after_a_failed_quorum(self):
        first = datetime.date(2027, 3, 1)
        rules.check_second_call(
            first_on=first, second_on=first + datetime.timedelta(days=15), urgent=False, first_quorum_reached=False
        )

    def test_sixteen_days_is_refused(self):
        first = datetime.date(2027, 3, 1)
        with pytest.raises(BusinessRuleError, match=r"15 jours.*R\. 312-194-22"):
            rules.check_second_call(
                first_on=first, second_on=first + datetime.timedelta(days=16), urgent=False, first_quorum_reached=False
            )

    def test_eight_days_if_urgent(self):
        first = datetime.date(2027, 3, 1)
        rules.check_second_call(
            first_on=first, second_on=first + datetime.timedelta(days=8), urgent=True, first_quorum_reached=False
        )
        with pytest.raises(BusinessRuleError, match="8 jours"):
            rules.check_second_call(
                first_on=first, second_on=first + datetime.timedelta(days=9), urgent=True, first_quorum_reached=False
            )

    def test_no_second_call_when_the_quorum_was_reached(self):
        with pytest.raises(BusinessRuleError, match="a atteint le quorum"):
            rules.check_second_call(
                first_on=datetime.date(2027, 3, 1),
                second_on=datetime.date(2027, 3, 5),
                urgent=False,
                first_quorum_reached=True,
            )


def test_one_third_of_members_makes_the_meeting_due_by_right():
    assert rules.due_by_right(requesting=5, members=15)
    assert not rules.due_by_right(requesting=4, members=15)


class TestAttendance:
    names = {1: "A", 2: "B", 3: "C", 4: "D"}

    def test_one_proxy_per_holder(self):
        presences = [rules.Presence(1, "PRESENT"), rules.Presence(2, "REPRESENTED", 1), rules.Presence(3, "ABSENT")]
        rules.check_attendance(presences, names=self.names, member_count=3)
        presences = [
            rules.Presence(1, "PRESENT"),
            rules.Presence(2, "REPRESENTED", 1),
            rules.Presence(3, "REPRESENTED", 1),
        ]
        with pytest.raises(BusinessRuleError, match=r"qu'une procuration.*R\. 312-194-20"):
            rules.check_attendance(presences, names=self.names, member_count=3)

    def test_no_proxy_with_two_members(self):
        presences = [rules.Presence(1, "PRESENT"), rules.Presence(2, "REPRESENTED", 1)]
        with pytest.raises(BusinessRuleError, match="plus de deux membres"):
            rules.check_attendance(presences, names=self.names, member_count=2)

    def test_cannot_represent_itself(self):
        with pytest.raises(BusinessRuleError, match="lui-même"):
            rules.check_attendance([rules.Presence(1, "REPRESENTED", 1)], names=self.names, member_count=3)

    def test_holder_must_be_present(self):
        presences = [rules.Presence(1, "ABSENT"), rules.Presence(2, "REPRESENTED", 1), rules.Presence(3, "PRESENT")]
        with pytest.raises(BusinessRuleError, match="doit être présent"):
            rules.check_attendance(presences, names=self.names, member_count=3)


class TestQuorum:
    rights = {1: D(40), 2: D(30), 3: D(20), 4: D(10)}

    def test_half_of_the_rights_is_enough(self):
        assert rules.quorum(rights=self.rights, attending=[2, 3], second_call=False).reached

    def test_less_than_half_fails(self):
        result = rules.quorum(rights=self.rights, attending=[3, 4], second_call=False)
        assert not result.reached and "R. 312-194-22" in result.label

    def test_second_call_decides_whatever_the_attendance(self):
        assert rules.quorum(rights=self.rights, attending=[4], second_call=True).reached


class TestOutcomeExamples:
    def test_exclusion_55_of_90(self):
        """The issue's example: 100 rights, the excluded member holds 10; 55 for out of 90."""
        rows = ballots((30, "FOR"), (25, "FOR"), (20, "AGAINST"), (15, "ABSTAIN"), (10, "FOR"))
        all_rights = {b.member: b.rights for b in rows}
        result = rules.outcome(kind=DeliberationKind.EXCLUSION, ballots=rows, all_rights=all_rights, concerned=4)
        assert result.adopted and result.votes_for == D(55) and result.base == D(90)
        assert result.label("Exclusion d'un membre") == (
            "adoptée : 55 voix sur 90, majorité de la moitié des voix, exclusion d'un membre, R. 312-194-22"
        )

    def test_exclusion_44_of_90_is_rejected(self):
        rows = ballots((30, "FOR"), (14, "FOR"), (31, "AGAINST"), (15, "ABSTAIN"), (10, "FOR"))
        all_rights = {b.member: b.rights for b in rows}
        result = rules.outcome(kind=DeliberationKind.EXCLUSION, ballots=rows, all_rights=all_rights, concerned=4)
        assert not result.adopted

    def test_admission_needs_unanimity(self):
        rows = ballots((30, "FOR"), (25, "FOR"), (1, "ABSTAIN"))
        result = rules.outcome(kind=DeliberationKind.ADMISSION, ballots=rows, all_rights={0: D(30), 1: D(25), 2: D(1)})
        assert not result.adopted and result.rule == MajorityRule.UNANIMITY

    def test_budget_majority_of_votes_present(self):
        rows = ballots((30, "FOR"), (25, "FOR"), (50, "AGAINST"))
        rights = {b.member: b.rights for b in rows}
        assert rules.outcome(kind=DeliberationKind.BUDGET, ballots=rows, all_rights=rights).adopted
        rows = ballots((30, "FOR"), (20, "FOR"), (50, "ABSTAIN"))
        assert not rules.outcome(kind=DeliberationKind.BUDGET, ballots=rows, all_rights=rights).adopted

    def test_the_convention_may_set_a_two_thirds_majority(self):
        rows = ballots((60, "FOR"), (40, "AGAINST"))
        rights = {b.member: b.rights for b in rows}
        result = rules.outcome(
            kind=DeliberationKind.BUDGET, ballots=rows, all_rights=rights, ordinary=OrdinaryMajority.TWO_THIRDS_PRESENT
        )
        assert not result.adopted and "convention" in result.article

    def test_the_convention_cannot_change_unanimity(self):
        rows = ballots((99, "FOR"), (1, "AGAINST"))
        rights = {b.member: b.rights for b in rows}
        result = rules.outcome(
            kind=DeliberationKind.CONVENTION_CHANGE, ballots=rows, all_rights=rights, ordinary=OrdinaryMajority.CAST
        )
        assert not result.adopted


def test_administrator_mandate_is_three_years():
    assert rules.administrator_mandate_end(datetime.date(2027, 1, 1)) == datetime.date(2030, 1, 1)
    assert rules.administrator_mandate_end(datetime.date(2028, 2, 29)) == datetime.date(2031, 2, 28)


# --- Properties ------------------------------------------------------------------------------------------

rights_st = st.integers(min_value=1, max_value=100_000).map(lambda cents: D(cents) / 100)
relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
choice_st = st.sampled_from(VoteChoice.values)
members_st = st.lists(st.tuples(rights_st, choice_st), min_size=1, max_size=15)
kinds = st.sampled_from(DeliberationKind.values)


@relaxed
@given(members_st)
def test_unanimity_fails_as_soon_as_one_present_member_does_not_vote_for(rows):
    votes = ballots(*rows)
    rights = {b.member: b.rights for b in votes}
    result = rules.outcome(kind=DeliberationKind.ADMISSION, ballots=votes, all_rights=rights)
    assert result.adopted == all(c == "FOR" for _, c in rows)


@relaxed
@given(members_st, st.data())
def test_exclusion_ignores_the_excluded_members_rights(rows, data):
    votes = ballots(*rows)
    concerned = data.draw(st.integers(min_value=0, max_value=len(votes) - 1))
    rights = {b.member: b.rights for b in votes}
    result = rules.outcome(kind=DeliberationKind.EXCLUSION, ballots=votes, all_rights=rights, concerned=concerned)
    others = sum((r for m, r in rights.items() if m != concerned), D(0))
    assert result.base == others
    changed = [
        rules.Ballot(
            b.member, b.rights * 7 if b.member == concerned else b.rights, "FOR" if b.member == concerned else b.choice
        )
        for b in votes
    ]
    changed_rights = {b.member: b.rights for b in changed}
    again = rules.outcome(
        kind=DeliberationKind.EXCLUSION, ballots=changed, all_rights=changed_rights, concerned=concerned
    )
    assert again.adopted == result.adopted and again.votes_for == result.votes_for
    assert result.adopted == (others > 0 and result.votes_for * 2 >= others)


@relaxed
@given(members_st, kinds, st.sampled_from(OrdinaryMajority.values))
def test_counts_never_exceed_the_rights_present(rows, kind, ordinary):
    votes = ballots(*rows)
    rights = {b.member: b.rights for b in votes}
    result = rules.outcome(kind=kind, ballots=votes, all_rights=rights, ordinary=ordinary)
    present = sum(rights.values(), D(0))
    counted = result.votes_for + result.votes_against + result.votes_abstain + result.votes_not_voting
    assert counted <= present
    assert result.votes_for <= result.base or kind == DeliberationKind.EXCLUSION
