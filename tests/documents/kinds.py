"""Document kinds for the unit tests (registered when imported): failing builders, a money sheet."""

from decimal import Decimal

from core.exceptions import BusinessRuleError
from documents import registry
from documents.registry import Column, Sheet
from documents.renderers import FORMAT_EUR, FORMAT_PERCENT


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
