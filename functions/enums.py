from django.db import models


class FunctionCategory(models.TextChoices):
    """Where a kind of pooled function comes from (L. 312-7-2 CASF; domain.md §1.3, decree.md §4)."""

    LEGAL = "LEGAL", "Fonction prévue par la loi"
    OPTIONAL_TOOL = "OPTIONAL_TOOL", "Outil facultatif prévu par la loi"
    GROUPEMENT = "GROUPEMENT", "Fonction propre au groupement"


class KeyMethod(models.TextChoices):
    """How a function's cost is split between its subscribers, as the convention sets it."""

    EQUAL = "EQUAL", "Parts égales"
    FIGURE = "FIGURE", "Au prorata d'un chiffre annuel de chaque membre"
    PERCENT = "PERCENT", "Pourcentages fixes"


class FigureKind(models.TextChoices):
    """The yearly member figure of a pro-rata key."""

    PLACES = "PLACES", "Nombre de places"
    BUDGET = "BUDGET", "Budget (€)"
    FTE = "FTE", "Effectif (ETP)"
    DAYS = "DAYS", "Journées d'activité"


class PostMode(models.TextChoices):
    """Who employs a shared post: the groupement, or a member who makes the person available
    (mise à disposition, L. 312-7 3° CASF: the lending member is reimbursed)."""

    RECRUITED = "RECRUITED", "Recruté par le groupement"
    SECONDED = "SECONDED", "Mis à disposition par un membre"


class PostSplit(models.TextChoices):
    """How a post's time is split between members."""

    KEY = "KEY", "Selon la clé de répartition de la fonction"
    HOURS = "HOURS", "Selon les heures déclarées par membre"
