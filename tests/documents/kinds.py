"""Document kinds for the unit tests (registered when imported): failing builders, a money sheet,
kinds with an audience and one about an object of the members room (a membership)."""

from decimal import Decimal

from django.urls import reverse

from core.exceptions import BusinessRuleError
from documents import registry
from documents.registry import Column, Sheet
from documents.renderers import FORMAT_EUR, FORMAT_PERCENT
from members.models import Membership


CALLS = {"flaky": 0}


def failing_builder(groupement, subject_key, year, progress):
    raise RuntimeError("panne simulée")


def rule_builder(groupement, subject_key, year, progress):
    raise BusinessRuleError("Ce document ne peut pas être produit : règle de test.")


def flaky_builder(groupement, subject_key, year, progress):
    CALLS["flaky"] += 1
    if CALLS["flaky"] == 1:
        raise OSError("stockage momentanément indisponible")
    return {"document_title": f"Tableau de test — {groupement.name}"}


def money_builder(groupement, subject_key, year, progress):
    progress(50, "Calcul")
    return {"document_title": f"Tableau de test — {groupement.name}"}


def money_sheets(context):
    return [
        Sheet(
            name="Charges",
            columns=[Column("Poste", 30), Column("Montant", 16, FORMAT_EUR), Column("Part", 10, FORMAT_PERCENT)],
            rows=[("Direction", Decimal("12345.67"), Decimal("0.25")), ("Qualité", Decimal("800"), Decimal("0.75"))],
        )
    ]


registry.register("test_failing", format="xlsx", title="Test (échoue)", builder=failing_builder, sheets=money_sheets)
registry.register("test_rule", format="xlsx", title="Test (règle)", builder=rule_builder, sheets=money_sheets)
registry.register("test_flaky", format="xlsx", title="Test (instable)", builder=flaky_builder, sheets=money_sheets)
registry.register("test_money", format="xlsx", title="Test (tableur)", builder=money_builder, sheets=money_sheets)


# --- Kinds with a subject and an audience (tests/documents/test_audience.py) --------------------


def membership_resolve(groupement, pk):
    return Membership.objects.filter(groupement=groupement, pk=pk).select_related("legal_entity", "groupement").first()


def membership_resolve_many(groupement, pks):
    memberships = Membership.objects.filter(groupement=groupement, pk__in=pks).select_related(
        "legal_entity", "groupement"
    )
    return {membership.pk: membership for membership in memberships}


def membership_url(membership):
    return reverse("members:member_detail", args=[membership.groupement.slug, membership.pk])


MEMBERSHIP_SUBJECT = registry.ObjectSubject(
    model="members.membership",
    resolve=membership_resolve,
    resolve_many=membership_resolve_many,
    label=lambda membership: f"Adhésion de {membership.legal_entity.name}",
    url=membership_url,
)
EVERYONE = frozenset({registry.Audience.STAFF, registry.Audience.MEMBERS, registry.Audience.READERS})

registry.register(
    "test_for_members",
    format="xlsx",
    title="Test (pour les membres)",
    builder=money_builder,
    sheets=money_sheets,
    audience=frozenset({registry.Audience.MEMBERS}),
)
registry.register(
    "test_for_everyone",
    format="xlsx",
    title="Test (pour tous)",
    builder=money_builder,
    sheets=money_sheets,
    subject=registry.SUBJECT_GROUPEMENT_YEAR,
    audience=EVERYONE,
)
registry.register(
    "test_about_member",
    format="xlsx",
    title="Test (sur une adhésion)",
    builder=money_builder,
    sheets=money_sheets,
    subject=MEMBERSHIP_SUBJECT,
    audience=EVERYONE,
    requestable=False,
)
