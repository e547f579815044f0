"""Pooled functions of a groupement: the catalogue of kinds, what a groupement runs, who subscribes
when, the shared posts that serve them, and the yearly cost keys and other costs.

Date convention: every period here is written as the users read it, **both ends included**
(``starts_on`` is the first day, ``ends_on`` the last day; empty ``ends_on``: still running).
Memberships (``members``) use a half-open period ``[admitted_on, left_on)``; the services translate.

Money is ``Decimal`` with two places; figures and percentages are ``Decimal`` too.
"""

from decimal import Decimal

import pghistory
from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.db import models
from django.db.models import F, Func, Q, Value

from core.models import TimeStampedModel
from functions.enums import FigureKind, FunctionCategory, KeyMethod, PostMode, PostSplit
from members.models import Groupement, LegalEntity


# Legal yearly working time of one full-time post (35 h a week, L. 3121-27 Code du travail, and
# the solidarity day): the base of a post's stated hours.
ANNUAL_HOURS_PER_FTE = Decimal(1607)


class InclusiveDateRange(Func):
    """``daterange(start, end, '[]')``: a period including both its first and its last day."""

    function = "DATERANGE"
    output_field = DateRangeField()

    def __init__(self, start, end):
        super().__init__(F(start), F(end), Value("[]"))


@pghistory.track()
class FunctionType(TimeStampedModel):
    """A kind of pooled function. The legal ones and the optional tools are loaded by a data
    migration; a groupement may add its own kinds, which never count for the legal minimum."""

    code = models.SlugField("code", max_length=60)
    name = models.CharField("nom", max_length=200)
    category = models.CharField("origine", max_length=14, choices=FunctionCategory.choices)
    counts_for_minimum = models.BooleanField("compte pour le minimum légal", default=False)
    article = models.CharField("article", max_length=100, blank=True)
    groupement = models.ForeignKey(
        Groupement, verbose_name="groupement", null=True, blank=True, on_delete=models.PROTECT,
        related_name="function_types", help_text="Vide pour les fonctions prévues par la loi.",
    )  # fmt: skip
    position = models.PositiveSmallIntegerField("ordre", default=100)

    class Meta:
        verbose_name = "type de fonction mutualisée"
        verbose_name_plural = "types de fonctions mutualisées"
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(groupement__isnull=True),
                name="function_type_code_unique_in_catalogue",
                violation_error_message="Ce code de fonction existe déjà dans le catalogue.",
            ),
            models.UniqueConstraint(
                fields=["groupement", "name"],
                name="function_type_name_unique_in_groupement",
                violation_error_message="Ce groupement a déjà un type de fonction de ce nom.",
            ),
            # L. 312-7-2 CASF: only the seven functions of the law count for the legal minimum.
            models.CheckConstraint(
                condition=Q(counts_for_minimum=False)
                | (Q(category=FunctionCategory.LEGAL) & Q(groupement__isnull=True)),
                name="function_type_only_legal_counts",
                violation_error_message="Seules les sept fonctions prévues par la loi comptent pour le minimum légal.",
            ),
            models.CheckConstraint(
                condition=Q(category=FunctionCategory.GROUPEMENT, groupement__isnull=False)
                | (~Q(category=FunctionCategory.GROUPEMENT) & Q(groupement__isnull=True)),
                name="function_type_groupement_kinds_owned",
                violation_error_message="Un type propre au groupement appartient à un groupement, et à lui seul.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class GroupementFunction(TimeStampedModel):
    """A function a groupement runs for its members, from ``starts_on`` to ``ends_on`` (included)."""

    groupement = models.ForeignKey(
        Groupement, verbose_name="groupement", on_delete=models.PROTECT, related_name="functions"
    )
    function_type = models.ForeignKey(
        FunctionType, verbose_name="type de fonction", on_delete=models.PROTECT, related_name="functions"
    )
    title = models.CharField("intitulé", max_length=200)
    description = models.TextField("description", blank=True)
    service = models.TextField("service rendu aux membres", blank=True)
    responsible = models.CharField("responsable", max_length=200, blank=True)
    starts_on = models.DateField("début")
    ends_on = models.DateField("fin (dernier jour)", null=True, blank=True)

    class Meta:
        verbose_name = "fonction mutualisée"
        verbose_name_plural = "fonctions mutualisées"
        ordering = ["groupement", "title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="function_ends_after_start",
                violation_error_message="La fin de la fonction ne peut pas précéder son début.",
            ),
        ]

    def __str__(self) -> str:
        return self.title


@pghistory.track()
class Subscription(TimeStampedModel):
    """A member's subscription to a function, from ``starts_on`` to ``ends_on`` (included).

    Unsubscribing dates the end; the row is never deleted (a dated fact).
    """

    function = models.ForeignKey(
        GroupementFunction, verbose_name="fonction", on_delete=models.PROTECT, related_name="subscriptions"
    )
    legal_entity = models.ForeignKey(
        LegalEntity, verbose_name="membre", on_delete=models.PROTECT, related_name="function_subscriptions"
    )
    starts_on = models.DateField("début")
    ends_on = models.DateField("fin (dernier jour)", null=True, blank=True)

    class Meta:
        verbose_name = "adhésion à une fonction"
        verbose_name_plural = "adhésions aux fonctions"
        ordering = ["function", "starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="subscription_ends_after_start",
                violation_error_message="La fin de l'adhésion ne peut pas précéder son début.",
            ),
            ExclusionConstraint(
                name="subscription_no_overlap",
                expressions=[
                    ("function", RangeOperators.EQUAL),
                    ("legal_entity", RangeOperators.EQUAL),
                    (InclusiveDateRange("starts_on", "ends_on"), RangeOperators.OVERLAPS),
                ],
                violation_error_message="Ce membre adhère déjà à cette fonction sur cette période.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.legal_entity.name} — {self.function.title}"


@pghistory.track()
class SharedPost(TimeStampedModel):
    """A post (poste mutualisé) serving a function: recruited by the groupement, or made available
    by a member, which the groupement then reimburses (mise à disposition, L. 312-7 3° CASF)."""

    function = models.ForeignKey(
        GroupementFunction, verbose_name="fonction", on_delete=models.PROTECT, related_name="posts"
    )
    job_title = models.CharField("intitulé du poste", max_length=200)
    fte = models.DecimalField("équivalent temps plein (ETP)", max_digits=4, decimal_places=2)
    mode = models.CharField("mode", max_length=10, choices=PostMode.choices)
    lending_member = models.ForeignKey(
        LegalEntity, verbose_name="membre employeur (mise à disposition)", null=True, blank=True,
        on_delete=models.PROTECT, related_name="lent_posts",
    )  # fmt: skip
    yearly_cost = models.DecimalField("coût annuel (€)", max_digits=12, decimal_places=2)
    split = models.CharField("répartition du temps", max_length=5, choices=PostSplit.choices, default=PostSplit.KEY)
    starts_on = models.DateField("début")
    ends_on = models.DateField("fin (dernier jour)", null=True, blank=True)

    class Meta:
        verbose_name = "poste mutualisé"
        verbose_name_plural = "postes mutualisés"
        ordering = ["function", "job_title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fte__gt=0),
                name="post_fte_positive",
                violation_error_message="L'ETP d'un poste doit être positif.",
            ),
            models.CheckConstraint(
                condition=Q(yearly_cost__gte=0),
                name="post_cost_not_negative",
                violation_error_message="Le coût annuel d'un poste ne peut pas être négatif.",
            ),
            models.CheckConstraint(
                condition=(Q(mode=PostMode.SECONDED) & Q(lending_member__isnull=False))
                | (Q(mode=PostMode.RECRUITED) & Q(lending_member__isnull=True)),
                name="post_lender_with_secondment",
                violation_error_message="Un poste mis à disposition indique le membre employeur, et lui seul.",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="post_ends_after_start",
                violation_error_message="La fin du poste ne peut pas précéder son début.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job_title} ({self.fte} ETP)"

    @property
    def employer_label(self) -> str:
        if self.mode == PostMode.SECONDED and self.lending_member is not None:
            return f"{self.lending_member.name} (mise à disposition)"
        return "Le groupement"


@pghistory.track()
class PostHours(TimeStampedModel):
    """Hours of a post's year stated for one member (a post split by stated hours)."""

    post = models.ForeignKey(SharedPost, verbose_name="poste", on_delete=models.PROTECT, related_name="hours")
    year = models.PositiveSmallIntegerField("année")
    legal_entity = models.ForeignKey(LegalEntity, verbose_name="membre", on_delete=models.PROTECT, related_name="+")
    hours = models.DecimalField("heures dans l'année", max_digits=7, decimal_places=1)

    class Meta:
        verbose_name = "heures d'un poste pour un membre"
        verbose_name_plural = "heures des postes par membre"
        ordering = ["post", "year", "legal_entity__finess"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "year", "legal_entity"],
                name="post_hours_one_per_member_year",
                violation_error_message="Les heures de ce membre sont déjà déclarées pour ce poste et cette année.",
            ),
            models.CheckConstraint(
                condition=Q(hours__gte=0),
                name="post_hours_not_negative",
                violation_error_message="Un nombre d'heures ne peut pas être négatif.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.post} — {self.legal_entity_id} — {self.year}"


@pghistory.track()
class CostKey(TimeStampedModel):
    """How a function's cost of one year is split, as the convention (or the AG) sets it."""

    function = models.ForeignKey(
        GroupementFunction, verbose_name="fonction", on_delete=models.PROTECT, related_name="keys"
    )
    year = models.PositiveSmallIntegerField("année")
    method = models.CharField("clé", max_length=8, choices=KeyMethod.choices)
    figure_kind = models.CharField("chiffre", max_length=8, choices=FigureKind.choices, blank=True)
    act = models.CharField("acte", max_length=300, blank=True, help_text="Convention, avenant ou délibération.")

    class Meta:
        verbose_name = "clé de répartition"
        verbose_name_plural = "clés de répartition"
        ordering = ["function", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["function", "year"],
                name="cost_key_one_per_year",
                violation_error_message="Cette fonction a déjà une clé de répartition pour cette année.",
            ),
            models.CheckConstraint(
                condition=(Q(method=KeyMethod.FIGURE) & ~Q(figure_kind=""))
                | (~Q(method=KeyMethod.FIGURE) & Q(figure_kind="")),
                name="cost_key_figure_with_prorata",
                violation_error_message="Une clé au prorata indique son chiffre (places, budget, ETP, journées).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.function} — {self.year} — {self.get_method_display()}"


@pghistory.track()
class KeyFigure(TimeStampedModel):
    """One member's value under a key: its yearly figure (pro rata) or its percentage, with its source."""

    key = models.ForeignKey(CostKey, verbose_name="clé", on_delete=models.CASCADE, related_name="figures")
    legal_entity = models.ForeignKey(LegalEntity, verbose_name="membre", on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField("valeur", max_digits=14, decimal_places=4)
    source = models.CharField("source", max_length=300)

    class Meta:
        verbose_name = "chiffre d'un membre"
        verbose_name_plural = "chiffres des membres"
        ordering = ["key", "legal_entity__finess"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "legal_entity"],
                name="key_figure_one_per_member",
                violation_error_message="Ce membre a déjà un chiffre pour cette clé.",
            ),
            models.CheckConstraint(
                condition=Q(value__gte=0),
                name="key_figure_not_negative",
                violation_error_message="Un chiffre de répartition ne peut pas être négatif.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} — {self.legal_entity_id} : {self.value}"


@pghistory.track()
class OtherCost(TimeStampedModel):
    """Another yearly cost of a function (licence, purchase, travel…), shared by the function's key."""

    function = models.ForeignKey(
        GroupementFunction, verbose_name="fonction", on_delete=models.PROTECT, related_name="other_costs"
    )
    year = models.PositiveSmallIntegerField("année")
    label = models.CharField("libellé", max_length=200)
    amount = models.DecimalField("montant (€)", max_digits=12, decimal_places=2)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="saisi par", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = "autre coût"
        verbose_name_plural = "autres coûts"
        ordering = ["function", "-year", "label", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="other_cost_not_negative",
                violation_error_message="Un coût ne peut pas être négatif.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.year})"
