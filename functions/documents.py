"""Documents of the functions room: the yearly cost sharing, as a PDF (a summary, then a page per
function) and as an XLSX (a sheet per function and a members sheet). Both come from the one
computation of ``functions.sharing``; they are registered with ``documents`` in ``FunctionsConfig.ready()``.
"""

import re

from django.utils import timezone

from documents import registry
from documents.registry import Column, Sheet
from documents.renderers import FORMAT_EUR, FORMAT_INTEGER
from functions.sharing import YearSplit, year_split


COST_SHARING = "cost_sharing"
COST_SHARING_XLSX = "cost_sharing_xlsx"
COST_SHARING_KINDS = (COST_SHARING, COST_SHARING_XLSX)

SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def cost_sharing_context(groupement, subject_key: str, year: int | None, progress) -> dict:
    """The year's split of every function and every member's total (the year of the request, else this year)."""
    year = year or timezone.localdate().year
    progress(10, "Calcul de la répartition")
    split = year_split(groupement=groupement, year=year)
    progress(100, "Données prêtes")
    return {
        "groupement": groupement,
        "split": split,
        "year": year,
        "document_title": f"Répartition des charges {year} — {groupement.name}",
    }


def _sheet_name(title: str, used: set[str]) -> str:
    base = SHEET_FORBIDDEN.sub(" ", title).strip()[:28] or "Fonction"
    name, index = base, 2
    while name.lower() in used:
        name = f"{base[:25]} ({index})"
        index += 1
    used.add(name.lower())
    return name


def cost_sharing_sheets(context: dict) -> list[Sheet]:
    """A sheet per function (its shares with their explanation) and a « Membres » sheet (each member's total)."""
    split: YearSplit = context["split"]
    used = {"membres"}
    sheets = []
    for function in split.functions:
        rows = [
            (share.finess, share.name, share.days, share.figure, share.amount, share.explanation)
            for share in function.shares
        ]
        if function.error:
            rows.append(("", "Répartition impossible", None, None, None, function.error))
        else:
            rows.append(("", "Total", None, None, function.cost, f"Clé : {function.key_label}"))
        sheets.append(
            Sheet(
                name=_sheet_name(function.title, used),
                columns=[
                    Column("FINESS EJ", 12),
                    Column("Membre", 40),
                    Column("Jours d'adhésion", 12, FORMAT_INTEGER),
                    Column("Chiffre de la clé", 14),
                    Column("Part (€)", 14, FORMAT_EUR),
                    Column("Explication", 90),
                ],
                rows=rows,
            )
        )
    members = Sheet(
        name="Membres",
        columns=[
            Column("FINESS EJ", 12),
            Column("Membre", 40),
            Column("Total des parts (€)", 16, FORMAT_EUR),
            Column("Remboursement mise à disposition (€)", 18, FORMAT_EUR),
            Column("Solde (€)", 16, FORMAT_EUR),
        ],
        rows=[(m.finess, m.name, m.amount, m.reimbursed, m.net) for m in split.members],
    )
    return [members, *sheets]


def register_document_kinds() -> None:
    """Declare the cost-sharing documents (called from ``FunctionsConfig.ready``).

    Subject: the groupement and a year; audience: the groupement's staff, its member directors and
    the readers in scope. The subject/audience/requestable keywords are passed only when the
    registry knows them (it is being extended to them).
    """
    extra = {}
    if hasattr(registry, "Audience"):
        extra = {
            "subject": registry.SUBJECT_GROUPEMENT_YEAR,
            "audience": frozenset({registry.Audience.STAFF, registry.Audience.MEMBERS, registry.Audience.READERS}),
            "requestable": True,
        }
    registry.register(
        COST_SHARING,
        format="pdf",
        title="Répartition des charges",
        builder=cost_sharing_context,
        template="functions/print/cost_sharing.html",
        **extra,
    )
    registry.register(
        COST_SHARING_XLSX,
        format="xlsx",
        title="Répartition des charges (tableur)",
        builder=cost_sharing_context,
        sheets=cost_sharing_sheets,
        **extra,
    )
