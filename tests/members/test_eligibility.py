"""The eligibility table and the dérogation timetable (members/eligibility.py).

Every table row is tested with real FINESS pairs (EJ statut from etalab_stock_ej_20201231_dep{23,48},
ET category from the cs1100507 extracts of the same départements, the cs1100502 excerpt or the ANS
JSON sample), and with pairs that the row must not catch.
"""

import datetime

import pytest

from members import eligibility
from members.eligibility import (
    RULES,
    DerogationStatus,
    add_months,
    decision_due,
    derogation_status,
    eligibility_for,
    establishment_eligibility,
    is_medico_social,
    may_be_member,
    pcd_opinion_due,
)
from members.enums import Decision, DerogationGround, EligibilityCategory
from members.models import Derogation


MAND, OPT, PART, OUT = (
    EligibilityCategory.MANDATORY,
    EligibilityCategory.OPTIONAL,
    EligibilityCategory.PARTNER_ONLY,
    EligibilityCategory.OUT_OF_SCOPE,
)

# (ET finess, EJ finess, statut, category, expected category, expected rule) — real rows.
REAL_CASES = [
    # MANDATORY_AUTONOMOUS_PUBLIC_EHPAD: EHPAD LES BOUQUETS (établissement social communal, 21).
    ("230000283", "230002669", "21", "500", MAND, "MANDATORY_AUTONOMOUS_PUBLIC_EHPAD"),
    # EHPAD LES SIGNOLLES (établissement social départemental, 19).
    ("230781916", "230780223", "19", "500", MAND, "MANDATORY_AUTONOMOUS_PUBLIC_EHPAD"),
    # EHPAD RESIDENCE JOSEPH CAUPERT (intercommunal, 22).
    ("480780394", "480000090", "22", "500", MAND, "MANDATORY_AUTONOMOUS_PUBLIC_EHPAD"),
    # JSON flux: EHPAD RESIDENCE D'URFE of LA RESIDENCE D'URFE (21).
    ("010780914", "010000347", "21", "500", MAND, "MANDATORY_AUTONOMOUS_PUBLIC_EHPAD"),
    # MANDATORY_AUTONOMOUS_PUBLIC_HOME_SERVICE: SERVICE SOINS A DOMICILE (SSIAD 354, statut 21).
    ("230000341", "230000911", "21", "354", MAND, "MANDATORY_AUTONOMOUS_PUBLIC_HOME_SERVICE"),
    # JSON flux: SSIAD EHPAD FONTELUNE (354) of RESIDENCE FONTELUNE (21).
    ("010006401", "010000339", "21", "354", MAND, "MANDATORY_AUTONOMOUS_PUBLIC_HOME_SERVICE"),
    # OPTIONAL_CCAS_CIAS: EHPAD LES EAUX VIVES run by a CCAS (17); SSIAD of the CCAS 230000366; a
    # résidence autonomie run by a CIAS (08) in Lozère.
    ("230000531", "230000515", "17", "500", OPT, "OPTIONAL_CCAS_CIAS"),
    ("230000077", "230000366", "17", "354", OPT, "OPTIONAL_CCAS_CIAS"),
    ("480780089", "480782291", "08", "202", OPT, "OPTIONAL_CCAS_CIAS"),
    # OPTIONAL_HOSPITAL_MANAGED: EHPAD BELLEVUE of the CH de Bourganeuf (13); EHPAD LE LOGIS DE VALRIC
    # of the CH La Valette (11); the MAS of the same CH; SSIAD of the CH de La Souterraine (13).
    ("230000242", "230780066", "13", "500", OPT, "OPTIONAL_HOSPITAL_MANAGED"),
    ("230782898", "230780074", "11", "500", OPT, "OPTIONAL_HOSPITAL_MANAGED"),
    ("230001638", "230780074", "11", "255", OPT, "OPTIONAL_HOSPITAL_MANAGED"),
    ("230000085", "230780520", "13", "354", OPT, "OPTIONAL_HOSPITAL_MANAGED"),
    # The cs1100502 excerpt: E.H.P.A.D. EDMAR LAMA of the Centre hospitalier de Cayenne. Its EJ is not
    # in our EJ files; the sister ET 970300026 says "Etablissement public de santé" (codesph 1), so
    # the statut is one of 10–16; 13 (communal) is used here, every code of the range gives the rule.
    ("970302287", "970302022", "13", "500", OPT, "OPTIONAL_HOSPITAL_MANAGED"),
    # PARTNER_ONLY_PRIVATE: EHPAD RESIDENCE LAS MELAIES (230000069) is run by a SAS (95); the EHPAD of
    # the MGEN (mutual, 47); a SAAD of an "autre organisme mutualiste" (49); an association SSIAD (60);
    # a foundation EHPAD (63); an association IME (61); an experimental PA home (381, 60).
    ("230000069", "130046113", "95", "500", PART, "PARTNER_ONLY_PRIVATE"),
    ("230782674", "750005068", "47", "500", PART, "PARTNER_ONLY_PRIVATE"),
    ("480003706", "340024660", "49", "460", PART, "PARTNER_ONLY_PRIVATE"),
    ("230000549", "230000325", "60", "354", PART, "PARTNER_ONLY_PRIVATE"),
    ("230001331", "920028560", "63", "500", PART, "PARTNER_ONLY_PRIVATE"),
    ("230780025", "230000481", "61", "183", PART, "PARTNER_ONLY_PRIVATE"),
    ("480003045", "480782259", "60", "381", PART, "PARTNER_ONLY_PRIVATE"),
    ("230003238", "230003188", "70", "460", PART, "PARTNER_ONLY_PRIVATE"),
    # OUT_OF_SCOPE: the CH de Guéret itself (355), a PMI of the Département (02, 223), a Foyer de
    # l'enfance of an établissement social départemental (19, 175), a pharmacy (85, 620), the CFPPA
    # of an EPA (26, 330), a GCS public (29, 696), a CCAS emergency shelter (17, 219), a STEMO of the
    # État (01, 441).
    ("230000820", "230780041", "13", "355", OUT, "OUT_OF_SCOPE"),
    ("230000143", "230782955", "02", "223", OUT, "OUT_OF_SCOPE"),
    ("230781700", "230001026", "19", "175", OUT, "OUT_OF_SCOPE"),
    ("230001596", "230001570", "85", "620", OUT, "OUT_OF_SCOPE"),
    ("230005001", "230004996", "26", "330", OUT, "OUT_OF_SCOPE"),
    ("230004491", "230004483", "29", "696", OUT, "OUT_OF_SCOPE"),
    ("230004475", "230000366", "17", "219", OUT, "OUT_OF_SCOPE"),
    ("230004863", "870005618", "01", "441", OUT, "OUT_OF_SCOPE"),
]


@pytest.mark.parametrize(("et", "ej", "statut", "category", "expected", "rule"), REAL_CASES)
def test_real_finess_pairs(et, ej, statut, category, expected, rule):
    result = eligibility_for(statut_code=statut, category_code=category)
    assert (result.category, result.rule) == (expected, rule), (et, ej)


# Rows without a real example in our extracts (no such pair in dép. 23/48 or the samples): codes
# from the terminology, each with a pair the row must not catch.
@pytest.mark.parametrize(
    ("statut", "category", "expected", "rule"),
    [
        # Accueil de jour autonome public.
        ("21", "207", MAND, "MANDATORY_AUTONOMOUS_PUBLIC_DAY_CARE"),
        ("23", "207", MAND, "MANDATORY_AUTONOMOUS_PUBLIC_DAY_CARE"),
        # SAAS (ex SPASAD) and SAA (ex SAAD) of an autonomous public establishment.
        ("18", "209", MAND, "MANDATORY_AUTONOMOUS_PUBLIC_HOME_SERVICE"),
        ("20", "460", MAND, "MANDATORY_AUTONOMOUS_PUBLIC_HOME_SERVICE"),
        # The same categories run by a commune or a département: excluded from the obligation.
        ("03", "500", OPT, "OPTIONAL_LOCAL_AUTHORITY"),
        ("02", "207", OPT, "OPTIONAL_LOCAL_AUTHORITY"),
        ("07", "460", OPT, "OPTIONAL_LOCAL_AUTHORITY"),
        ("06", "255", OPT, "OPTIONAL_LOCAL_AUTHORITY"),
        # CIAS day care and CCAS disability service.
        ("08", "207", OPT, "OPTIONAL_CCAS_CIAS"),
        ("17", "446", OPT, "OPTIONAL_CCAS_CIAS"),
        # Hospital-run day care, home service, PMI-like (out).
        ("10", "207", OPT, "OPTIONAL_HOSPITAL_MANAGED"),
        ("16", "209", OPT, "OPTIONAL_HOSPITAL_MANAGED"),
        # Résidence autonomie, EHPA and experimental PA home of an autonomous public establishment.
        ("21", "202", OPT, "OPTIONAL_AUTONOMOUS_PUBLIC_ELDERLY_OTHER"),
        ("19", "501", OPT, "OPTIONAL_AUTONOMOUS_PUBLIC_ELDERLY_OTHER"),
        ("22", "502", OPT, "OPTIONAL_AUTONOMOUS_PUBLIC_ELDERLY_OTHER"),
        ("21", "381", OPT, "OPTIONAL_AUTONOMOUS_PUBLIC_ELDERLY_OTHER"),
        # Public disability ESMS: autonomous (19 MAS, 18 institute for deaf children) or other public.
        ("19", "255", OPT, "OPTIONAL_PUBLIC_DISABILITY"),
        ("18", "195", OPT, "OPTIONAL_PUBLIC_DISABILITY"),
        ("21", "437", OPT, "OPTIONAL_PUBLIC_DISABILITY"),
        ("30", "246", OPT, "OPTIONAL_PUBLIC_DISABILITY"),
        ("01", "448", OPT, "OPTIONAL_PUBLIC_DISABILITY"),
        # Other public persons running elderly ESMS.
        ("26", "500", OPT, "OPTIONAL_OTHER_PUBLIC"),
        ("28", "354", OPT, "OPTIONAL_OTHER_PUBLIC"),
        ("29", "207", OPT, "OPTIONAL_OTHER_PUBLIC"),
        ("30", "500", OPT, "OPTIONAL_OTHER_PUBLIC"),
        ("01", "202", OPT, "OPTIONAL_OTHER_PUBLIC"),
        # Private for-profit at the top of the range, GCS privé, GCSMS privé.
        ("110", "500", PART, "PARTNER_ONLY_PRIVATE"),
        ("89", "207", PART, "PARTNER_ONLY_PRIVATE"),
        ("66", "500", PART, "PARTNER_ONLY_PRIVATE"),
        # Refused by every row but the last: out-of-scope categories, unknown statuts.
        ("21", "355", OUT, "OUT_OF_SCOPE"),
        ("21", "247", OUT, "OUT_OF_SCOPE"),  # entreprise adaptée: not an ESMS
        ("60", "462", OUT, "OUT_OF_SCOPE"),  # lieu de vie et d'accueil: not in the scope
        ("35", "500", OUT, "OUT_OF_SCOPE"),  # a code outside every set
        ("50", "500", OUT, "OUT_OF_SCOPE"),
    ],
)
def test_rows_without_real_example(statut, category, expected, rule):
    result = eligibility_for(statut_code=statut, category_code=category)
    assert (result.category, result.rule) == (expected, rule)


def test_every_rule_is_used_by_a_test_case():
    covered = {rule for *_, rule in REAL_CASES}
    covered |= {
        "MANDATORY_AUTONOMOUS_PUBLIC_DAY_CARE",
        "OPTIONAL_LOCAL_AUTHORITY",
        "OPTIONAL_AUTONOMOUS_PUBLIC_ELDERLY_OTHER",
        "OPTIONAL_PUBLIC_DISABILITY",
        "OPTIONAL_OTHER_PUBLIC",
    }
    assert {rule.result.rule for rule in RULES} == covered


def test_rules_are_short_stable_codes_with_french_labels_and_articles():
    codes = [rule.result.rule for rule in RULES]
    assert len(codes) == len(set(codes))
    for rule in RULES:
        assert len(rule.result.rule) <= 60
        assert rule.result.rule == rule.result.rule.upper()
        assert "CASF" in rule.result.article
        assert rule.result.label.endswith(".")
    # The catch-all is last and matches everything.
    assert RULES[-1].statuts is None and RULES[-1].categories is None


def test_mandatory_only_for_autonomous_public_statuts():
    for statut in [f"{n:02d}" for n in range(1, 100)]:
        for category in eligibility.MANDATORY_CATEGORIES:
            result = eligibility_for(statut_code=statut, category_code=category)
            assert (result.category == MAND) == (statut in {"18", "19", "20", "21", "22", "23"}), (statut, category)


def test_codes_are_normalised():
    assert eligibility_for(statut_code="8", category_code=" 500 ").rule == "OPTIONAL_CCAS_CIAS"
    assert eligibility_for(statut_code=" 21", category_code="500").category == MAND


def test_unknown_statut_is_not_decided():
    assert establishment_eligibility(statut_code="", category_code="500") == ("", "STATUT_UNKNOWN")
    assert establishment_eligibility(statut_code="21", category_code="500") == (
        "MANDATORY",
        "MANDATORY_AUTONOMOUS_PUBLIC_EHPAD",
    )


@pytest.mark.parametrize(
    ("statut", "expected"),
    [
        *[(code, True) for code in ("21", "17", "08", "13", "03", "29", "30", "01")],
        *[(code, False) for code in ("60", "47", "95", "66", "89", "", "35")],
    ],
)
def test_may_be_member(statut, expected):
    assert may_be_member(statut) is expected


def test_medico_social_scope():
    assert is_medico_social("500") and is_medico_social("382") and is_medico_social("446")
    assert not is_medico_social("355") and not is_medico_social("620") and not is_medico_social("")


# --- Dérogation timetable (R. 312-194-32 CASF) ---


def make_derogation(**fields) -> Derogation:
    defaults = {"ground": DerogationGround.MERGER, "received_on": datetime.date(2026, 1, 15)}
    return Derogation(**(defaults | fields))


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (datetime.date(2026, 1, 15), 2, datetime.date(2026, 3, 15)),
        (datetime.date(2025, 12, 31), 2, datetime.date(2026, 2, 28)),
        (datetime.date(2027, 12, 31), 2, datetime.date(2028, 2, 29)),  # leap year
        (datetime.date(2026, 1, 31), 1, datetime.date(2026, 2, 28)),
        (datetime.date(2026, 3, 31), 1, datetime.date(2026, 4, 30)),
        (datetime.date(2026, 11, 30), 2, datetime.date(2027, 1, 30)),
        (datetime.date(2026, 12, 15), 1, datetime.date(2027, 1, 15)),
    ],
)
def test_add_months_counts_calendar_months(day, months, expected):
    assert add_months(day, months) == expected


def test_decision_and_opinion_due_dates():
    derogation = make_derogation(received_on=datetime.date(2025, 12, 31))
    assert decision_due(derogation) == datetime.date(2026, 2, 28)
    assert pcd_opinion_due(derogation) == datetime.date(2026, 1, 31)
    derogation.pcd_referred_on = datetime.date(2026, 1, 5)
    assert pcd_opinion_due(derogation) == datetime.date(2026, 2, 5)
    derogation = make_derogation(received_on=datetime.date(2026, 1, 31))
    assert pcd_opinion_due(derogation) == datetime.date(2026, 2, 28)
    assert decision_due(derogation) == datetime.date(2026, 3, 31)


def test_silence_is_pending_until_the_day_before_two_months():
    derogation = make_derogation()
    assert derogation_status(derogation, on=datetime.date(2026, 1, 15)) == DerogationStatus.PENDING
    assert derogation_status(derogation, on=datetime.date(2026, 3, 14)) == DerogationStatus.PENDING


def test_silence_exactly_two_months_after_receipt_is_a_refusal():
    derogation = make_derogation()
    assert derogation_status(derogation, on=datetime.date(2026, 3, 15)) == DerogationStatus.TACITLY_REFUSED
    assert derogation_status(derogation, on=datetime.date(2026, 3, 16)) == DerogationStatus.TACITLY_REFUSED


def test_silence_from_31_december_ends_on_the_last_day_of_february():
    derogation = make_derogation(received_on=datetime.date(2025, 12, 31))
    assert derogation_status(derogation, on=datetime.date(2026, 2, 27)) == DerogationStatus.PENDING
    assert derogation_status(derogation, on=datetime.date(2026, 2, 28)) == DerogationStatus.TACITLY_REFUSED


def test_decision_before_the_deadline_prevails():
    granted = make_derogation(decision=Decision.GRANTED, decision_on=datetime.date(2026, 3, 1))
    assert derogation_status(granted, on=datetime.date(2026, 3, 1)) == DerogationStatus.GRANTED
    assert derogation_status(granted, on=datetime.date(2026, 6, 1)) == DerogationStatus.GRANTED
    refused = make_derogation(decision=Decision.REFUSED, decision_on=datetime.date(2026, 2, 1))
    assert derogation_status(refused, on=datetime.date(2026, 4, 1)) == DerogationStatus.REFUSED


def test_decision_on_the_last_day_prevails():
    derogation = make_derogation(decision=Decision.GRANTED, decision_on=datetime.date(2026, 3, 15))
    assert derogation_status(derogation, on=datetime.date(2026, 3, 15)) == DerogationStatus.GRANTED


def test_decision_not_yet_taken_on_the_day_asked():
    derogation = make_derogation(decision=Decision.GRANTED, decision_on=datetime.date(2026, 3, 1))
    assert derogation_status(derogation, on=datetime.date(2026, 2, 1)) == DerogationStatus.PENDING


def test_explicit_decision_after_the_implicit_refusal_replaces_it():
    derogation = make_derogation(decision=Decision.GRANTED, decision_on=datetime.date(2026, 4, 10))
    assert derogation_status(derogation, on=datetime.date(2026, 4, 1)) == DerogationStatus.TACITLY_REFUSED
    assert derogation_status(derogation, on=datetime.date(2026, 4, 10)) == DerogationStatus.GRANTED


def test_derogation_status_labels_are_french():
    assert DerogationStatus.PENDING.label == "En instruction"
    assert DerogationStatus.TACITLY_REFUSED.label == "Refus implicite (silence de deux mois)"
