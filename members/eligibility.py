"""What the law says of an establishment: must it join a GTSMS, may it, or only as a partner?

The answer comes from two FINESS codes: the statut juridique of the legal entity (EJ, two digits,
TRE-R72/R400) and the category of the establishment (ET, ``categetab``, TRE-R66/R397). The rules
are the table ``RULES`` below, read from top to bottom: the first row whose statut set and category
set both contain the codes decides. The last row catches everything else.

Sources (docs in the shared folder): domain.md §1.2, §5.2, §5.3, §6 and decree.md §1 (rules 1.1
to 1.8). Tags as in those documents: [S] sourced, [I] inferred (a design choice, not law).

The dérogation timetable (R. 312-194-32 CASF) is at the end of the module.
"""

import calendar
import datetime
from dataclasses import dataclass
from functools import lru_cache

from django.db import models

from members.enums import Decision, EligibilityCategory


# --- Statut juridique sets (EJ) -------------------------------------------------------------------
# domain.md §5.3, from the ANS terminology JDV_J100 FinessStatutJuridique_RASS [S].


def _codes(*ranges: tuple[int, int]) -> frozenset[str]:
    """Two-digit codes (three digits from 100) for the inclusive ranges given."""
    return frozenset(f"{n:02d}" for low, high in ranges for n in range(low, high + 1))


# 18 ESMS national, 19 départemental, 20 interdépartemental, 21 communal, 22 intercommunal, 23 régional:
# the autonomous public social and médico-social establishments [S].
AUTONOMOUS_PUBLIC_ESMS = _codes((18, 23))
# 08 CIAS, 17 CCAS [S].
CCAS_CIAS = frozenset({"08", "17"})
# 02 Département, 03 Commune, 04 Région, 06 Autre collectivité territoriale, 07 Métropole [S];
# 05 is kept with them as the brief's "01–07" range does, its label was not seen [I].
# 01 État is not a collectivité territoriale: it is in OTHER_PUBLIC (same outcome, other rule).
LOCAL_AUTHORITY = frozenset({"02", "03", "04", "05", "06", "07"})
# 10–15 établissements publics d'hospitalisation, 16 syndicat interhospitalier [S].
PUBLIC_HOSPITAL = _codes((10, 16))
# 01 État, 24–25 (other public codes of the range, label not seen [I]), 26 autre établissement public
# administratif, 27 EPIC, 28 GIP, 29 GCS public, 30 GCSMS public [S].
OTHER_PUBLIC = frozenset({"01"}) | _codes((24, 30))
# Every public-law legal person: 01 to 30 [S]. They may be members (decree.md 1.4).
PUBLIC = AUTONOMOUS_PUBLIC_ESMS | CCAS_CIAS | LOCAL_AUTHORITY | PUBLIC_HOSPITAL | OTHER_PUBLIC
# 40–49 social security and mutual bodies, 60–66 private non-profit (66 GCSMS privé), 70 and above
# private for-profit (up to 110 in the terminology; 89 GCS privé) [S].
PRIVATE = _codes((40, 49), (60, 66), (70, 110))


# --- Category sets (ET) ---------------------------------------------------------------------------

# L. 312-7-2 I CASF: public EHPAD and petites unités de vie of L. 313-12 I and II (FINESS 500; a PUV is
# coded 500 when it is médicalisée, domain.md §5.2 [M]).
EHPAD = frozenset({"500"})
# Accueils de jour autonomes publics: 207 Centre de jour pour personnes âgées [S].
DAY_CARE = frozenset({"207"})
# Services à domicile publics of L. 312-1 I 6° (decree.md 1.8, domain.md §6): 354 SSIAD, 460 SAA (ex
# SAAD), 209 SAAS (ex SPASAD) [S].
HOME_SERVICES = frozenset({"354", "460", "209"})
MANDATORY_CATEGORIES = EHPAD | DAY_CARE | HOME_SERVICES
# The rest of the elderly médico-social offer [S, labels in data/finess]: 202 Résidence autonomie
# (L. 313-12 III, not I or II), 501/502 EHPA with or without crédits d'assurance maladie, 381
# Établissement expérimental pour personnes âgées.
# Note: domain.md §5.2 gives 381/382 as EHPA [M]; the real extracts say 381 = expérimental PA and
# 382 = Foyer de vie pour adultes handicapés, so 382 is in DISABILITY below.
ELDERLY_OTHER = frozenset({"202", "501", "502", "381"})
ELDERLY = MANDATORY_CATEGORIES | ELDERLY_OTHER
# Disability ESMS (L. 312-1 I 2°, 3°, 5°, 7°), aggregates 41xx and 43xx of FINESS.
# [S] seen with their label in data/finess: 182 SESSAD, 183 IME, 186 ITEP, 188 EEAP polyhandicapés,
# 189 CMPP, 190 CAMSP, 192 Institut d'éducation motrice, 195 Institut pour déficients auditifs (JSON
# flux), 238 Centre d'accueil familial spécialisé, 246 ESAT, 252 Foyer d'hébergement AH, 255 MAS, 379
# Établissement expérimental AH, 382 Foyer de vie AH, 437 FAM, 445 SAMSAH, 446 SAVS.
# [I] not seen in the files, codes from the terminology as remembered: 194 Institut pour déficients
# visuels, 196 Institut d'éducation sensorielle sourds/aveugles, 377 Établissement expérimental
# enfance handicapée, 390 and 395 Établissements d'accueil temporaire (adultes, enfants), 448 EAM
# and 449 EANM (établissements d'accueil médicalisé / non médicalisé pour personnes handicapées).
# Left out on purpose: 247 Entreprise adaptée (Code du travail, not an ESMS), 462 Lieux de vie et
# d'accueil (multi-clientèle, mostly child welfare).
DISABILITY_SOURCED = frozenset(
    {"182", "183", "186", "188", "189", "190", "192", "195", "238", "246", "252", "255", "379", "382", "437", "445",
     "446"}
)  # fmt: skip
DISABILITY_INFERRED = frozenset({"194", "196", "377", "390", "395", "448", "449"})
DISABILITY = DISABILITY_SOURCED | DISABILITY_INFERRED
# The médico-social scope of the groupements: elderly (the GTSMS purpose, L. 312-7-2 II) and
# disability (public disability ESMS may join, decree.md 1.4; the Senate removed "pour personnes
# âgées" from the name, S22).
MEDICO_SOCIAL = ELDERLY | DISABILITY

ANY = None  # a rule cell that matches every code


@dataclass(frozen=True)
class Eligibility:
    category: EligibilityCategory
    rule: str  # short stable code, at most 60 characters
    label: str  # French sentence shown to users
    article: str


@dataclass(frozen=True)
class Rule:
    """One row of the table: statut set × category set → result."""

    statuts: frozenset[str] | None
    categories: frozenset[str] | None
    result: Eligibility

    def matches(self, statut_code: str, category_code: str) -> bool:
        return (self.statuts is ANY or statut_code in self.statuts) and (
            self.categories is ANY or category_code in self.categories
        )


MAND, OPT, PART, OUT = (
    EligibilityCategory.MANDATORY,
    EligibilityCategory.OPTIONAL,
    EligibilityCategory.PARTNER_ONLY,
    EligibilityCategory.OUT_OF_SCOPE,
)

# First matching row wins. Read: "EJ with a statut in … running an ET of category … is …".
RULES: tuple[Rule, ...] = (
    # decree.md 1.1 [S]: autonomous public EHPAD (and PUV) must join a GHT or a GTSMS.
    Rule(AUTONOMOUS_PUBLIC_ESMS, EHPAD, Eligibility(
        MAND, "MANDATORY_AUTONOMOUS_PUBLIC_EHPAD",
        "EHPAD public autonome : adhésion obligatoire à un GTSMS ou à un GHT.",
        "L. 312-7-2 I CASF ; L. 313-12 I et II CASF")),
    # decree.md 1.1 and 1.7 [S]: autonomous public accueil de jour.
    Rule(AUTONOMOUS_PUBLIC_ESMS, DAY_CARE, Eligibility(
        MAND, "MANDATORY_AUTONOMOUS_PUBLIC_DAY_CARE",
        "Accueil de jour public autonome : adhésion obligatoire à un GTSMS ou à un GHT.",
        "L. 312-7-2 I CASF")),
    # decree.md 1.1 and 1.8 [S]/[I]: public home services (SSIAD, SAA, SAAS).
    Rule(AUTONOMOUS_PUBLIC_ESMS, HOME_SERVICES, Eligibility(
        MAND, "MANDATORY_AUTONOMOUS_PUBLIC_HOME_SERVICE",
        "Service public autonome d'aide ou de soins à domicile : adhésion obligatoire à un GTSMS ou à un GHT.",
        "L. 312-7-2 I CASF ; L. 312-1 I 6° CASF")),
    # decree.md 1.2 and 1.4 [S]: managed by a CCAS or CIAS, excluded from the obligation, may join.
    Rule(CCAS_CIAS, MEDICO_SOCIAL, Eligibility(
        OPT, "OPTIONAL_CCAS_CIAS",
        "Géré par un CCAS ou un CIAS : exclu de l'obligation, adhésion facultative.",
        "L. 312-7-2 I CASF")),
    # decree.md 1.2 and 1.4 [S]: managed by a collectivité territoriale, excluded, may join.
    Rule(LOCAL_AUTHORITY, MEDICO_SOCIAL, Eligibility(
        OPT, "OPTIONAL_LOCAL_AUTHORITY",
        "Géré par une collectivité territoriale : exclu de l'obligation, adhésion facultative.",
        "L. 312-7-2 I CASF")),
    # decree.md 1.3 and 1.4 [S]: managed by a public health establishment (already in a GHT), may join.
    Rule(PUBLIC_HOSPITAL, MEDICO_SOCIAL, Eligibility(
        OPT, "OPTIONAL_HOSPITAL_MANAGED",
        "Géré par un établissement public de santé : hors obligation, adhésion facultative.",
        "L. 312-7-2 I CASF")),
    # [I] other elderly ESMS of an autonomous public establishment (résidence autonomie, EHPA,
    # expérimental): not named by L. 312-7-2 I, public, so they may join.
    Rule(AUTONOMOUS_PUBLIC_ESMS, ELDERLY_OTHER, Eligibility(
        OPT, "OPTIONAL_AUTONOMOUS_PUBLIC_ELDERLY_OTHER",
        "Autre établissement public autonome pour personnes âgées : hors obligation, adhésion facultative.",
        "L. 312-7-2 I CASF")),
    # decree.md 1.4 [S]: public disability ESMS may join.
    Rule(AUTONOMOUS_PUBLIC_ESMS | OTHER_PUBLIC, DISABILITY, Eligibility(
        OPT, "OPTIONAL_PUBLIC_DISABILITY",
        "Établissement ou service public pour personnes handicapées : adhésion facultative.",
        "L. 312-7-2 I CASF")),
    # [I] other public legal persons (État, EPA, GIP, GCS or GCSMS publics) running an elderly ESMS:
    # public, not named by the obligation, so they may join.
    Rule(OTHER_PUBLIC, ELDERLY, Eligibility(
        OPT, "OPTIONAL_OTHER_PUBLIC",
        "Géré par une autre personne publique : hors obligation, adhésion facultative.",
        "L. 312-7-2 I CASF")),
    # decree.md 1.5 [S]: private ESMS (including non-profit) cannot be members; partners by convention.
    Rule(PRIVATE, MEDICO_SOCIAL, Eligibility(
        PART, "PARTNER_ONLY_PRIVATE",
        "Gestionnaire privé : ne peut pas être membre, partenariat par convention seulement.",
        "L. 312-7 CASF")),
    # Everything else: health establishments, PMI, child welfare, pharmacies, unknown statuts…
    Rule(ANY, ANY, Eligibility(
        OUT, "OUT_OF_SCOPE",
        "Hors du champ social et médico-social des groupements.",
        "L. 312-7-2 CASF")),
)  # fmt: skip

STATUT_UNKNOWN_RULE = "STATUT_UNKNOWN"
RULES_BY_CODE = {rule.result.rule: rule.result for rule in RULES}


def eligibility_of_rule(rule_code: str) -> Eligibility | None:
    """The row of ``RULES`` whose code is stored on an establishment (``eligibility_rule``).

    None when nothing could be decided (``STATUT_UNKNOWN``: the legal entity's statut is not known).
    Screens show what is stored, so that every page says the same as the ARS coverage and the report.
    """
    return RULES_BY_CODE.get(rule_code)


def normalize_code(code: str | None) -> str:
    """A FINESS code as the table writes it: trimmed, one-digit numbers padded (``8`` → ``08``)."""
    code = (code or "").strip()
    return f"0{code}" if len(code) == 1 and code.isdigit() else code


@lru_cache(maxsize=4096)
def _lookup(statut_code: str, category_code: str) -> Eligibility:
    for rule in RULES:
        if rule.matches(statut_code, category_code):
            return rule.result
    raise AssertionError("the last rule matches everything")  # pragma: no cover


def eligibility_for(*, statut_code: str, category_code: str) -> Eligibility:
    """The rule of ``RULES`` that decides for this EJ statut and ET category (first match wins)."""
    return _lookup(normalize_code(statut_code), normalize_code(category_code))


def establishment_eligibility(*, statut_code: str, category_code: str) -> tuple[str, str]:
    """The values stored on ``Establishment`` (``eligibility``, ``eligibility_rule``).

    When the legal entity's statut is unknown (an EJ not imported yet, see members.finess), nothing
    can be decided: the category stays empty and the rule says why.
    """
    if not normalize_code(statut_code):
        return "", STATUT_UNKNOWN_RULE
    result = eligibility_for(statut_code=statut_code, category_code=category_code)
    return result.category.value, result.rule


def is_medico_social(category_code: str) -> bool:
    """True when the ET category is in the social and médico-social scope of the groupements."""
    return normalize_code(category_code) in MEDICO_SOCIAL


def may_be_member(statut_code: str) -> bool:
    """A public-law legal entity may be a member; a private one may only be a partner.

    decree.md 1.4 and 1.5 (L. 312-7-2 I and L. 312-7 CASF): membership is open to public ESMS managers
    (autonomous, CCAS/CIAS, collectivités, public hospitals, other public persons); private managers,
    non-profit included, take part only through a convention.
    """
    return normalize_code(statut_code) in PUBLIC


# --- Dérogation (R. 312-194-32 CASF) --------------------------------------------------------------


class DerogationStatus(models.TextChoices):
    PENDING = "PENDING", "En instruction"
    GRANTED = "GRANTED", "Accordée"
    REFUSED = "REFUSED", "Refusée"
    TACITLY_REFUSED = "TACITLY_REFUSED", "Refus implicite (silence de deux mois)"


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` plus calendar months; without the same day number, the last day of the month.

    A delay in months ends on the day with the same number, or on the last day of the month when
    there is none (31 December + 2 months → 28 or 29 February), as art. 641 CPC counts it.
    """
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def pcd_opinion_due(derogation) -> datetime.date:
    """Last day for the président du conseil départemental's opinion (R. 312-194-32 CASF).

    The DG ARS refers the request to the PCD, who has one month: counted from the referral when it is
    recorded, else from the receipt of the request.
    """
    return add_months(derogation.pcd_referred_on or derogation.received_on, 1)


def decision_due(derogation) -> datetime.date:
    """The day the DG ARS's silence becomes a refusal: two months after receipt (R. 312-194-32 CASF).

    The implicit decision is born on the day with the same number two months later (a request
    received on 15 January is implicitly refused on 15 March), the usual reading of a "silence for
    two months" rule [M].
    """
    return add_months(derogation.received_on, 2)


def derogation_status(derogation, *, on: datetime.date) -> DerogationStatus:
    """Where a dérogation request stands on ``on`` (R. 312-194-32 CASF).

    An explicit decision of the DG ARS known on that day prevails (a later explicit decision replaces
    the implicit one); otherwise silence until ``decision_due`` is still instruction, and from that day
    on it is an implicit refusal.
    """
    if derogation.decision and derogation.decision_on is not None and derogation.decision_on <= on:
        return DerogationStatus.GRANTED if derogation.decision == Decision.GRANTED else DerogationStatus.REFUSED
    if on >= decision_due(derogation):
        return DerogationStatus.TACITLY_REFUSED
    return DerogationStatus.PENDING
