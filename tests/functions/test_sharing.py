"""The cost-sharing computation: hand-worked examples and properties (hypothesis)."""

import random
from decimal import Decimal

from hypothesis import given, settings, strategies as st

from functions.enums import FigureKind, KeyMethod, PostSplit
from functions.sharing import (
    FunctionInput,
    PostInput,
    SubscriberInput,
    combine,
    largest_remainder,
    overlap_days,
    post_cost_in_year,
    split_function,
)


D = Decimal


def member(finess, days=365, figure=None, source="rapport d'activité 2025"):
    return SubscriberInput(finess=finess, name=f"Membre {finess}", days=days, figure=figure, source=source)


def function(method, subscribers, posts=(), others=(), figure_kind="", year=2026):
    return FunctionInput(
        function_id=1,
        title="Qualité",
        year=year,
        method=method,
        figure_kind=figure_kind,
        subscribers=tuple(subscribers),
        posts=tuple(posts),
        other_costs=tuple(others),
    )


def plain(text):
    return text.replace("\u00a0", " ")


def shares(split):
    return {share.finess: share.amount for share in split.shares}


class TestHandWorked:
    def test_equal_thirds_the_extra_cent_to_the_smallest_finess(self):
        split = split_function(
            function(
                KeyMethod.EQUAL,
                [member("230000003"), member("230000001"), member("230000002")],
                others=[("Licence", D("1000.00"))],
            )
        )
        assert split.ok
        assert shares(split) == {"230000001": D("333.34"), "230000002": D("333.33"), "230000003": D("333.33")}
        first = next(s for s in split.shares if s.finess == "230000001")
        assert "arrondi au centime : +0,01" in plain(first.explanation)

    def test_quality_manager_by_places(self):
        # 0.8 FTE, 48 000 € a year, the whole of 2026; 80 + 40 + 30 places.
        post = PostInput(label="Responsable qualité", yearly_cost=D("48000.00"), days_active=365, fte=D("0.8"))
        subscribers = [
            member("230000001", figure=D(80)),
            member("230000002", figure=D(40)),
            member("230000003", figure=D(30)),
        ]
        split = split_function(function(KeyMethod.FIGURE, subscribers, posts=[post], figure_kind=FigureKind.PLACES))
        assert split.cost == D("48000.00")
        assert shares(split) == {"230000001": D("25600.00"), "230000002": D("12800.00"), "230000003": D("9600.00")}
        assert "80 places (source : rapport d'activité 2025) × 365 jours d'adhésion" in plain(
            split.shares[0].explanation
        )
        assert "53,33" in plain(split.shares[0].explanation)

    def test_post_from_july_and_a_member_from_april(self):
        # 1 July–31 December 2026: 184 days of 365 → 36 500 × 184 / 365 = 18 400 €.
        post = PostInput(label="Chargé de mission", yearly_cost=D("36500.00"), days_active=184)
        assert post_cost_in_year(post, 2026) == D("18400.00")
        # A the whole year (365 days), B from 1 April (275 days): 18 400 × 365/640 and × 275/640.
        split = split_function(
            function(KeyMethod.EQUAL, [member("230000001"), member("230000002", days=275)], posts=[post])
        )
        assert shares(split) == {"230000001": D("10493.75"), "230000002": D("7906.25")}
        assert "184 jours actifs / 365 jours" in plain(split.posts[0].explanation)

    def test_percentages_largest_remainder(self):
        subscribers = [
            member("230000001", figure=D(50)),
            member("230000002", figure=D(30)),
            member("230000003", figure=D(20)),
        ]
        split = split_function(function(KeyMethod.PERCENT, subscribers, others=[("Achat", D("100.01"))]))
        # 50.005, 30.003, 20.002: floors 100.00, the cent to the largest remainder (0.5).
        assert shares(split) == {"230000001": D("50.01"), "230000002": D("30.00"), "230000003": D("20.00")}

    def test_ties_go_to_the_smallest_finess(self):
        subscribers = [member("230000009"), member("230000001"), member("230000005")]
        split = split_function(function(KeyMethod.EQUAL, subscribers, others=[("Frais", D("0.02"))]))
        assert shares(split) == {"230000001": D("0.01"), "230000005": D("0.01"), "230000009": D("0.00")}

    def test_stated_hours_then_the_key_for_the_rest(self):
        # 1 FTE = 1 607 h; A states 803.5 h (half): 8 035 € to A, the other half equally.
        post = PostInput(
            label="Ingénieur",
            yearly_cost=D("16070.00"),
            days_active=365,
            fte=D(1),
            split=PostSplit.HOURS,
            hours=(("230000001", D("803.5")),),
        )
        split = split_function(function(KeyMethod.EQUAL, [member("230000001"), member("230000002")], posts=[post]))
        assert shares(split) == {"230000001": D("12052.50"), "230000002": D("4017.50")}
        assert "803,5 h sur 1 607,0 h" in plain(split.shares[0].explanation)

    def test_secondment_reimburses_the_lender(self):
        post = PostInput(
            label="Coordinatrice mobilité",
            yearly_cost=D("42000.00"),
            days_active=365,
            lender_finess="230000001",
            lender_name="EHPAD A",
        )
        split = split_function(function(KeyMethod.EQUAL, [member("230000001"), member("230000002")], posts=[post]))
        year = combine(2026, [split])
        totals = {m.finess: (m.amount, m.reimbursed, m.net) for m in year.members}
        assert totals["230000001"] == (D("21000.00"), D("42000.00"), D("-21000.00"))
        assert totals["230000002"] == (D("21000.00"), D("0.00"), D("21000.00"))
        assert "L. 312-7 3°" in plain(split.posts[0].explanation)

    def test_contract_shape(self):
        split = split_function(function(KeyMethod.EQUAL, [member("230000001")], others=[("Licence", D("12.5"))]))
        contract = combine(2026, [split]).as_contract()
        assert contract == {
            "year": 2026,
            "functions": [{"function": "Qualité", "cost": "12.50", "shares": {"230000001": "12.50"}}],
            "members": {"230000001": "12.50"},
        }

    def test_overlap_days(self):
        import datetime

        assert overlap_days(datetime.date(2025, 6, 1), None, 2026) == 365
        assert overlap_days(datetime.date(2026, 7, 1), None, 2026) == 184
        assert overlap_days(datetime.date(2026, 7, 1), datetime.date(2026, 7, 1), 2026) == 1
        assert overlap_days(datetime.date(2027, 1, 1), None, 2026) == 0
        assert overlap_days(datetime.date(2024, 1, 1), None, 2024) == 366


class TestRefused:
    def test_percentages_must_sum_to_100(self):
        subscribers = [member("230000001", figure=D(50)), member("230000002", figure=D("49.99"))]
        split = split_function(function(KeyMethod.PERCENT, subscribers, others=[("Achat", D(100))]))
        assert not split.ok
        assert "99,99" in plain(split.error) and "100 %" in plain(split.error)

    def test_missing_figure_names_the_member_and_the_figure(self):
        subscribers = [member("230000001", figure=D(80)), member("230000002", figure=None)]
        split = split_function(
            function(KeyMethod.FIGURE, subscribers, others=[("Achat", D(100))], figure_kind=FigureKind.FTE)
        )
        assert "« effectif (ETP) »" in plain(split.error) and "Membre 230000002" in plain(split.error)

    def test_hours_over_100_percent(self):
        post = PostInput(
            label="Ingénieur", yearly_cost=D(1000), days_active=365, fte=D("0.5"), split=PostSplit.HOURS,
            hours=(("230000001", D(900)),),
        )  # fmt: skip
        split = split_function(function(KeyMethod.EQUAL, [member("230000001")], posts=[post]))
        assert "au-delà de 100 %" in plain(split.error)

    def test_no_key_no_subscriber(self):
        assert "Aucune clé" in split_function(function(None, [member("230000001")], others=[("A", D(1))])).error
        assert "Aucun membre" in split_function(function(KeyMethod.EQUAL, [], others=[("A", D(1))])).error

    def test_no_cost_needs_no_key(self):
        split = split_function(function(None, [member("230000001")]))
        assert split.ok and shares(split) == {"230000001": D("0.00")}


# --- Properties -------------------------------------------------------------------------------------

money = st.decimals(min_value=0, max_value=500000, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def function_inputs(draw):
    count = draw(st.integers(min_value=1, max_value=8))
    numbers = draw(st.lists(st.integers(min_value=0, max_value=999999), min_size=count, max_size=count, unique=True))
    finesses = [f"23{n:06d}0" for n in numbers]
    method = draw(st.sampled_from([KeyMethod.EQUAL, KeyMethod.FIGURE, KeyMethod.PERCENT]))
    if method == KeyMethod.PERCENT:
        cuts = sorted(
            draw(st.lists(st.integers(min_value=0, max_value=10000), min_size=count - 1, max_size=count - 1))
        )
        bounds = [0, *cuts, 10000]
        figures = [D(bounds[i + 1] - bounds[i]) / 100 for i in range(count)]
    elif method == KeyMethod.FIGURE:
        figures = draw(st.lists(st.decimals(min_value=0, max_value=10000, places=2), min_size=count, max_size=count))
    else:
        figures = [None] * count
    days = draw(st.lists(st.integers(min_value=1, max_value=365), min_size=count, max_size=count))
    subscribers = [member(f, days=d, figure=fig) for f, d, fig in zip(finesses, days, figures, strict=True)]
    posts = []
    for index in range(draw(st.integers(min_value=0, max_value=3))):
        split = draw(st.sampled_from([PostSplit.KEY, PostSplit.HOURS]))
        fte = draw(st.decimals(min_value=D("0.1"), max_value=2, places=2))
        days_active = draw(st.integers(min_value=1, max_value=365))
        hours = ()
        if split == PostSplit.HOURS:
            capacity = fte * 1607 * days_active / 365
            chosen = draw(st.lists(st.sampled_from(finesses), unique=True, max_size=count))
            budget = capacity / max(len(chosen), 1)
            hours = tuple(
                (f, draw(st.decimals(min_value=0, max_value=budget, places=1).filter(lambda h, b=budget: h <= b)))
                for f in chosen
            )
        posts.append(
            PostInput(
                label=f"Poste {index}",
                yearly_cost=draw(money),
                days_active=days_active,
                fte=fte,
                split=split,
                hours=hours,
            )
        )
    others = [(f"Coût {i}", draw(money)) for i in range(draw(st.integers(min_value=0, max_value=3)))]
    return function(
        method,
        subscribers,
        posts=posts,
        others=others,
        figure_kind=FigureKind.PLACES if method == KeyMethod.FIGURE else "",
    )


def _hours_members(inputs):
    return {f for post in inputs.posts for f, h in post.hours if h > 0}


@settings(max_examples=300, deadline=None)
@given(function_inputs(), st.randoms(use_true_random=False))
def test_shares_sum_to_the_cost_never_negative_and_order_invariant(inputs, rng):
    split = split_function(inputs)
    if not split.ok:
        # The only refusal possible here: a pro-rata key whose figures are all zero.
        assert inputs.method == KeyMethod.FIGURE and all(s.figure == 0 for s in inputs.subscribers)
        return
    assert sum((s.amount for s in split.shares), D(0)) == split.cost
    assert all(s.amount >= 0 for s in split.shares)
    assert all(s.amount == s.amount.quantize(D("0.01")) for s in split.shares)
    if inputs.method == KeyMethod.FIGURE:
        for s in inputs.subscribers:
            if s.figure == 0 and s.finess not in _hours_members(inputs):
                assert shares(split)[s.finess] == 0
    shuffled = list(inputs.subscribers)
    rng.shuffle(shuffled)
    posts = list(inputs.posts)
    rng.shuffle(posts)
    others = list(inputs.other_costs)
    rng.shuffle(others)
    again = split_function(
        FunctionInput(
            function_id=inputs.function_id, title=inputs.title, year=inputs.year, method=inputs.method,
            figure_kind=inputs.figure_kind, subscribers=tuple(shuffled), posts=tuple(posts), other_costs=tuple(others),
        )
    )  # fmt: skip
    assert shares(again) == shares(split)
    assert again.cost == split.cost


@settings(max_examples=300, deadline=None)
@given(
    st.decimals(min_value=0, max_value=1000000, places=2),
    st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12),
)
def test_largest_remainder_is_exact(total, weights):
    from fractions import Fraction

    assume_total = sum(weights)
    if assume_total == 0:
        weights = [1] * len(weights)
        assume_total = len(weights)
    exact = {f"{i:09d}": Fraction(total) * w / assume_total for i, w in enumerate(weights)}
    rounded = largest_remainder(total, exact)
    assert sum(rounded.values(), D(0)) == total
    for key, value in rounded.items():
        assert abs(Fraction(value) - exact[key]) < Fraction(1, 100)
        if exact[key] == 0:
            assert value == 0
    keys = list(exact)
    random.Random(0).shuffle(keys)
    assert largest_remainder(total, {k: exact[k] for k in keys}) == rounded
