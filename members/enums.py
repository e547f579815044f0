from django.db import models


class GroupementKind(models.TextChoices):
    GTSMS = "GTSMS", "GTSMS (groupement territorial social et médico-social)"
    GCSMS = "GCSMS", "GCSMS (groupement de coopération sociale et médico-sociale)"


class GroupementStatus(models.TextChoices):
    CONSTITUTING = "CONSTITUTING", "En constitution"
    CONSTITUTED = "CONSTITUTED", "Constitué"
    DISSOLVED = "DISSOLVED", "Dissous"


class MembershipCategory(models.TextChoices):
    """How a legal entity takes part in a groupement (L. 312-7-2 I CASF; L. 312-7 for partners)."""

    MANDATORY = "MANDATORY", "Membre obligatoire"
    OPTIONAL = "OPTIONAL", "Membre facultatif"
    PARTNER = "PARTNER", "Partenaire par convention"


class LeaveReason(models.TextChoices):
    """How a member left (R. 312-194-10 CASF for withdrawal and exclusion; R. 312-194-24 for dissolution)."""

    WITHDRAWAL = "WITHDRAWAL", "Retrait"
    EXCLUSION = "EXCLUSION", "Exclusion"
    DISSOLUTION = "DISSOLUTION", "Dissolution"


class EligibilityCategory(models.TextChoices):
    """What the law says of an establishment, computed from FINESS (members/eligibility.py)."""

    MANDATORY = "MANDATORY", "Obligatoire"
    OPTIONAL = "OPTIONAL", "Facultatif"
    PARTNER_ONLY = "PARTNER_ONLY", "Partenaire uniquement"
    OUT_OF_SCOPE = "OUT_OF_SCOPE", "Hors champ"


class DerogationGround(models.TextChoices):
    """Grounds for a dérogation (L. 312-7-2 CASF, as read by directions.fr, decree.md §5.5)."""

    MERGER = "MERGER", "Issu d'une fusion"
    LOCAL_SPECIFICITY = "LOCAL_SPECIFICITY", "Spécificité dans l'offre départementale"


class Opinion(models.TextChoices):
    FAVOURABLE = "FAVOURABLE", "Favorable"
    UNFAVOURABLE = "UNFAVOURABLE", "Défavorable"


class Decision(models.TextChoices):
    GRANTED = "GRANTED", "Accordée"
    REFUSED = "REFUSED", "Refusée"
