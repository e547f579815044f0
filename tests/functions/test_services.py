"""Writes of the functions room: each refused input has its French message naming the field, and
nothing is half-saved; each allowed case is journaled."""

import datetime
from decimal import Decimal

import pytest

from accounts.enums import Role
from core.enums import JournalAction
from core.exceptions import BusinessRuleError
from core.models import JournalEntry
from core.perms import RightRequired
from functions import services
from functions.enums import FigureKind, KeyMethod, PostMode, PostSplit
from functions.models import CostKey, FunctionType, KeyFigure, PostHours, SharedPost, Subscription
from functions.selectors import legal_minimum_met
from members.enums import LeaveReason
from tests.members.factories import GroupementFactory, MembershipFactory


pytestmark = pytest.mark.django_db

D = datetime.date


def message(error) -> str:
    return " ".join(error.value.messages).replace("\u00a0", " ")


class TestCatalogue:
    def test_seven_legal_functions_count_and_four_tools_do_not(self):
        catalogue = FunctionType.objects.filter(groupement__isnull=True)
        assert catalogue.filter(counts_for_minimum=True).count() == 7
        assert set(catalogue.filter(counts_for_minimum=False).values_list("code", flat=True)) == {
            "plan-pluriannuel-investissement", "cpom-unique", "mutualisation-tresorerie", "pharmacie-usage-interieur",
        }  # fmt: skip
        assert all(t.article == "art. L. 312-7-2 CASF" for t in catalogue)

    def test_a_groupement_type_never_counts(self, groupement, director):
        own = services.function_type_create(groupement=groupement, name="Éthique", actor=director)
        assert own.counts_for_minimum is False and own.groupement == groupement
        assert JournalEntry.objects.filter(action=JournalAction.FUNCTION_TYPE_CREATED, groupement=groupement).exists()

    def test_a_type_name_twice_is_refused(self, groupement):
        services.function_type_create(groupement=groupement, name="Mobilité")
        with pytest.raises(BusinessRuleError) as error:
            services.function_type_create(groupement=groupement, name="mobilité")
        assert "« Nom »" in message(error)


class TestFunction:
    def test_created_and_journaled(self, groupement, quality_type, director):
        function = services.function_create(
            groupement=groupement, function_type=quality_type, title="Qualité", starts_on=D(2026, 1, 1), actor=director
        )
        entry = JournalEntry.objects.get(action=JournalAction.FUNCTION_CREATED)
        assert entry.groupement_id == groupement.pk and entry.facts["function"] == function.pk

    def test_end_before_start_is_refused(self, groupement, quality_type):
        with pytest.raises(BusinessRuleError) as error:
            services.function_create(
                groupement=groupement, function_type=quality_type, title="Qualité", starts_on=D(2026, 3, 1),
                ends_on=D(2026, 2, 28),
            )  # fmt: skip
        assert "« Fin »" in message(error) and "précéder son début" in message(error)

    def test_a_user_without_the_right_is_refused(self, groupement, quality_type, user_with_role):
        staffless = user_with_role(Role.GROUPEMENT_DIRECTOR, GroupementFactory())
        with pytest.raises(RightRequired):
            services.function_create(
                groupement=groupement, function_type=quality_type, title="Q", starts_on=D(2026, 1, 1), actor=staffless
            )

    def test_update_cannot_leave_a_subscription_outside(self, function, subscribed):
        with pytest.raises(BusinessRuleError) as error:
            services.function_update(function=function, ends_on=D(2026, 6, 30))
        assert "« Fin »" in message(error) and "déborde" in message(error)
        function.refresh_from_db()
        assert function.ends_on is None

    def test_update_allowed(self, function, director):
        services.function_update(function=function, responsible="Mme Dupuy", actor=director)
        assert JournalEntry.objects.get(action=JournalAction.FUNCTION_UPDATED).facts["changed"] == ["responsible"]


class TestSubscription:
    def test_a_member_subscribes(self, function, members, director):
        subscription = services.subscription_create(
            function=function, legal_entity=members[0], starts_on=D(2026, 2, 1), actor=director
        )
        assert subscription.ends_on is None
        assert JournalEntry.objects.get(action=JournalAction.FUNCTION_SUBSCRIBED).facts["finess"] == members[0].finess

    def test_not_a_member_is_refused(self, function, other_entity):
        with pytest.raises(BusinessRuleError) as error:
            services.subscription_create(function=function, legal_entity=other_entity, starts_on=D(2026, 2, 1))
        assert "« Membre »" in message(error) and other_entity.name in message(error)
        assert not Subscription.objects.exists()

    def test_a_member_only_from_later_is_refused_on_earlier_dates(self, function, make_member):
        late = make_member(admitted_on=D(2026, 4, 1))
        with pytest.raises(BusinessRuleError) as error:
            services.subscription_create(function=function, legal_entity=late, starts_on=D(2026, 3, 1))
        assert "sur toute la période" in message(error)
        services.subscription_create(function=function, legal_entity=late, starts_on=D(2026, 4, 1))

    def test_a_leaving_member_subscribes_only_until_it_leaves(self, groupement, function):
        leaving = MembershipFactory(
            groupement=groupement, admitted_on=D(2026, 1, 1), left_on=D(2027, 1, 1),
            leave_reason=LeaveReason.WITHDRAWAL, leave_act="Retrait notifié",
        ).legal_entity  # fmt: skip
        with pytest.raises(BusinessRuleError):
            services.subscription_create(function=function, legal_entity=leaving, starts_on=D(2026, 2, 1))
        with pytest.raises(BusinessRuleError):
            services.subscription_create(
                function=function, legal_entity=leaving, starts_on=D(2026, 2, 1), ends_on=D(2027, 1, 1)
            )
        services.subscription_create(
            function=function, legal_entity=leaving, starts_on=D(2026, 2, 1), ends_on=D(2026, 12, 31)
        )

    def test_a_partner_is_not_a_member(self, groupement, function):
        partner = MembershipFactory(groupement=groupement, partner=True, admitted_on=D(2026, 1, 1)).legal_entity
        with pytest.raises(BusinessRuleError):
            services.subscription_create(function=function, legal_entity=partner, starts_on=D(2026, 2, 1))

    def test_end_before_start_is_refused(self, function, members):
        with pytest.raises(BusinessRuleError) as error:
            services.subscription_create(
                function=function, legal_entity=members[0], starts_on=D(2026, 5, 1), ends_on=D(2026, 4, 30)
            )
        assert "« Fin »" in message(error)

    def test_twice_is_refused(self, function, subscribed):
        with pytest.raises(BusinessRuleError) as error:
            services.subscription_create(function=function, legal_entity=subscribed[0], starts_on=D(2026, 5, 1))
        assert "adhère déjà" in message(error)

    def test_unsubscribe_keeps_the_row(self, function, subscribed, director):
        subscription = Subscription.objects.get(function=function, legal_entity=subscribed[0])
        services.subscription_end(subscription=subscription, ends_on=D(2026, 6, 30), actor=director)
        subscription.refresh_from_db()
        assert subscription.ends_on == D(2026, 6, 30)
        assert JournalEntry.objects.filter(action=JournalAction.FUNCTION_UNSUBSCRIBED).count() == 1
        with pytest.raises(BusinessRuleError):
            services.subscription_end(subscription=subscription, ends_on=D(2026, 7, 30))

    def test_unsubscribe_before_start_is_refused(self, function, subscribed):
        subscription = Subscription.objects.get(function=function, legal_entity=subscribed[0])
        with pytest.raises(BusinessRuleError) as error:
            services.subscription_end(subscription=subscription, ends_on=D(2025, 12, 31))
        assert "« Fin »" in message(error)


class TestPost:
    def test_recruited(self, post):
        assert post.employer_label == "Le groupement" and post.lending_member is None
        assert JournalEntry.objects.filter(action=JournalAction.SHARED_POST_CREATED).count() == 1

    def test_made_available_by_a_member(self, function, members):
        post = services.post_create(
            function=function, job_title="Coordinatrice", fte=Decimal(1), mode=PostMode.SECONDED,
            lending_member=members[0], yearly_cost=Decimal("42000"), starts_on=D(2026, 1, 1),
        )  # fmt: skip
        assert post.lending_member == members[0] and "mise à disposition" in post.employer_label

    def test_made_available_by_a_non_member_is_refused(self, function, other_entity):
        with pytest.raises(BusinessRuleError) as error:
            services.post_create(
                function=function, job_title="Coordinatrice", fte=Decimal(1), mode=PostMode.SECONDED,
                lending_member=other_entity, yearly_cost=Decimal("42000"), starts_on=D(2026, 1, 1),
            )  # fmt: skip
        assert "« Membre employeur »" in message(error) and "L. 312-7 3°" in message(error)

    @pytest.mark.parametrize(
        ("fte", "cost", "field"),
        [(Decimal("-0.5"), Decimal(1000), "« ETP »"), (Decimal(0), Decimal(1000), "« ETP »"),
         (Decimal(1), Decimal("-1"), "« Coût annuel »")],
    )  # fmt: skip
    def test_negative_fte_or_cost_is_refused(self, function, fte, cost, field):
        with pytest.raises(BusinessRuleError) as error:
            services.post_create(
                function=function, job_title="Poste", fte=fte, mode=PostMode.RECRUITED, yearly_cost=cost,
                starts_on=D(2026, 1, 1),
            )  # fmt: skip
        assert field in message(error)
        assert not SharedPost.objects.exists()

    def test_hours_over_100_percent_are_refused(self, function, subscribed):
        post = services.post_create(
            function=function, job_title="Ingénieur", fte=Decimal("0.5"), mode=PostMode.RECRUITED,
            yearly_cost=Decimal(30000), starts_on=D(2026, 1, 1), split=PostSplit.HOURS,
        )  # fmt: skip
        # 0.5 FTE × 1 607 h = 803.5 h in 2026.
        with pytest.raises(BusinessRuleError) as error:
            services.post_hours_set(
                post=post, year=2026, hours={subscribed[0]: Decimal(500), subscribed[1]: Decimal("303.6")}
            )
        assert "« Heures »" in message(error) and "au-delà de 100 %" in message(error)
        assert not PostHours.objects.exists()
        services.post_hours_set(
            post=post, year=2026, hours={subscribed[0]: Decimal(500), subscribed[1]: Decimal("303.5")}
        )
        assert PostHours.objects.count() == 2

    def test_hours_for_a_non_subscriber_are_refused(self, function, members):
        post = services.post_create(
            function=function, job_title="Ingénieur", fte=Decimal(1), mode=PostMode.RECRUITED,
            yearly_cost=Decimal(30000), starts_on=D(2026, 1, 1), split=PostSplit.HOURS,
        )  # fmt: skip
        with pytest.raises(BusinessRuleError) as error:
            services.post_hours_set(post=post, year=2026, hours={members[0]: Decimal(10)})
        assert "n'adhère pas" in message(error)


class TestCostKey:
    def test_equal(self, function, subscribed, director):
        key = services.cost_key_set(function=function, year=2026, method=KeyMethod.EQUAL, actor=director)
        assert key.figures.count() == 0
        assert JournalEntry.objects.get(action=JournalAction.COST_KEY_SET).facts["year"] == 2026

    def test_pro_rata_with_every_figure(self, function, subscribed):
        figures = {e: (Decimal(40 + i), "FINESS") for i, e in enumerate(subscribed)}
        key = services.cost_key_set(
            function=function, year=2026, method=KeyMethod.FIGURE, figure_kind=FigureKind.PLACES, figures=figures
        )
        assert key.figures.count() == 3

    def test_pro_rata_missing_figure_names_member_and_figure(self, function, subscribed):
        figures = {e: (Decimal(40), "FINESS") for e in subscribed[:2]}
        with pytest.raises(BusinessRuleError) as error:
            services.cost_key_set(
                function=function, year=2026, method=KeyMethod.FIGURE, figure_kind=FigureKind.BUDGET, figures=figures
            )
        assert subscribed[2].name in message(error) and "budget (€)" in message(error)
        assert not CostKey.objects.exists()

    def test_a_figure_without_source_is_refused(self, function, subscribed):
        figures = {e: (Decimal(40), "" if i == 1 else "FINESS") for i, e in enumerate(subscribed)}
        with pytest.raises(BusinessRuleError) as error:
            services.cost_key_set(
                function=function, year=2026, method=KeyMethod.FIGURE, figure_kind=FigureKind.DAYS, figures=figures
            )
        assert "« Source" in message(error) and subscribed[1].name in message(error)

    def test_negative_figure_is_refused(self, function, subscribed):
        figures = {e: (Decimal(-1 if i == 0 else 5), "FINESS") for i, e in enumerate(subscribed)}
        with pytest.raises(BusinessRuleError) as error:
            services.cost_key_set(
                function=function, year=2026, method=KeyMethod.FIGURE, figure_kind=FigureKind.FTE, figures=figures
            )
        assert "ne peut pas être négative" in message(error)

    def test_percentages_must_sum_to_exactly_100(self, function, subscribed):
        figures = dict(
            zip(subscribed, [(Decimal(50), "AG"), (Decimal(30), "AG"), (Decimal("19.99"), "AG")], strict=True)
        )
        with pytest.raises(BusinessRuleError) as error:
            services.cost_key_set(function=function, year=2026, method=KeyMethod.PERCENT, figures=figures)
        assert "« Pourcentages »" in message(error) and "99,99" in message(error)
        figures[subscribed[2]] = (Decimal(20), "AG")
        services.cost_key_set(function=function, year=2026, method=KeyMethod.PERCENT, figures=figures)
        assert KeyFigure.objects.count() == 3

    def test_setting_again_replaces_the_year(self, function, subscribed):
        services.cost_key_set(function=function, year=2026, method=KeyMethod.EQUAL)
        services.cost_key_set(
            function=function, year=2026, method=KeyMethod.PERCENT,
            figures={e: (Decimal(p), "AG") for e, p in zip(subscribed, [50, 25, 25], strict=True)},
        )  # fmt: skip
        assert CostKey.objects.get().method == KeyMethod.PERCENT

    def test_invalid_year_is_refused(self, function):
        with pytest.raises(BusinessRuleError) as error:
            services.cost_key_set(function=function, year=1990, method=KeyMethod.EQUAL)
        assert "« Année »" in message(error)


class TestOtherCost:
    def test_added(self, function, director):
        cost = services.other_cost_add(
            function=function, year=2026, label="Licence", amount=Decimal("1200"), actor=director
        )
        assert cost.amount == Decimal("1200")
        assert JournalEntry.objects.filter(
            action=JournalAction.OTHER_COST_ADDED, groupement=function.groupement
        ).exists()

    def test_negative_is_refused(self, function):
        with pytest.raises(BusinessRuleError) as error:
            services.other_cost_add(function=function, year=2026, label="Avoir", amount=Decimal("-5"))
        assert "« Montant »" in message(error)


class TestLegalMinimum:
    def test_not_met_without_a_function(self, groupement):
        minimum = legal_minimum_met(groupement, D(2026, 6, 15))
        assert minimum.met is False and minimum.facts["functions"] == []
        assert "L. 312-7-2" in minimum.summary

    def test_not_met_without_a_subscriber(self, function):
        assert legal_minimum_met(function.groupement, D(2026, 6, 15)).met is False

    def test_met_by_a_legal_function_with_a_subscriber(self, function, subscribed):
        minimum = legal_minimum_met(function.groupement, D(2026, 6, 15))
        assert minimum.met is True
        assert minimum.facts["functions"][0]["subscribers"] == 3
        assert legal_minimum_met(function.groupement, D(2025, 12, 31)).met is False

    def test_optional_tools_and_own_types_never_count(self, groupement, members):
        tool = FunctionType.objects.get(code="cpom-unique")
        own = services.function_type_create(groupement=groupement, name="Éthique")
        for function_type in (tool, own):
            function = services.function_create(
                groupement=groupement, function_type=function_type, title=function_type.name, starts_on=D(2026, 1, 1)
            )
            services.subscription_create(function=function, legal_entity=members[0], starts_on=D(2026, 1, 1))
        assert legal_minimum_met(groupement, D(2026, 6, 15)).met is False

    def test_an_ended_function_no_longer_counts(self, function, subscribed):
        for subscription in function.subscriptions.all():
            services.subscription_end(subscription=subscription, ends_on=D(2026, 3, 31))
        services.function_update(function=function, ends_on=D(2026, 3, 31))
        assert legal_minimum_met(function.groupement, D(2026, 3, 31)).met is True
        assert legal_minimum_met(function.groupement, D(2026, 4, 1)).met is False
