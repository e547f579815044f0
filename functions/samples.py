"""Sample pooled functions, for the demo (``load_demo``) and the national instance (``functions/scale.py``):
each groupement runs four realistic functions on its real
FINESS members, with figures for this year and next year (the budget of N+1 is voted by 31 October).

* qualité et gestion des risques: a shared quality manager (0.8 FTE), split by places;
* numérique (DUI / DLU): a digital project officer and licences, split equally;
* formation continue: the pooled training plan, split by FTE;
* mobilité et orientation (a kind the groupement defines): a coordinator made available by one
  member (mise à disposition, reimbursed), first for itself, then extended to the others, split by
  fixed percentages.

The cost-sharing documents of this year (PDF and XLSX) are asked for once, for the worker to make.
Idempotent: a groupement that already runs functions is left as it is.
"""

import datetime
from decimal import Decimal

from documents.services import document_request
from functions import services
from functions.documents import COST_SHARING_KINDS
from functions.enums import FigureKind, KeyMethod, PostMode
from functions.models import FunctionType, GroupementFunction
from members.models import Groupement, LegalEntity


def _places(index: int) -> Decimal:
    return Decimal(42 + (index * 23) % 67)


def _fte(index: int) -> Decimal:
    return (Decimal(28) + Decimal((index * 13) % 41) + Decimal("0.5") * (index % 2)).quantize(Decimal("0.1"))


def _percentages(count: int) -> list[Decimal]:
    """The lender carries the largest part; the others share the rest; exactly 100 %."""
    others = (Decimal(60) / (count - 1)).quantize(Decimal("0.01")) if count > 1 else Decimal(0)
    return [Decimal(100) - others * (count - 1), *([others] * (count - 1))]


def functions_load(
    *, groupement: Groupement, members: list[LegalEntity], founded_on: datetime.date, actor, enqueue: bool = True
) -> None:
    """Create the demo functions of ``groupement`` (members in FINESS order, all members since ``founded_on``)."""
    if GroupementFunction.objects.filter(groupement=groupement).exists() or len(members) < 2:
        return
    this_year = founded_on.year
    years = (this_year, this_year + 1)
    catalogue = {t.code: t for t in FunctionType.objects.filter(groupement__isnull=True)}

    def create(code, title, **kwargs):
        function = services.function_create(
            groupement=groupement, function_type=catalogue[code] if isinstance(code, str) else code, title=title,
            starts_on=founded_on, actor=actor, **kwargs,
        )  # fmt: skip
        return function

    def subscribe_all(function, start=founded_on, who=members):
        for entity in who:
            services.subscription_create(function=function, legal_entity=entity, starts_on=start, actor=actor)

    quality = create(
        "qualite-risques",
        "Qualité et gestion des risques",
        responsible="Responsable qualité du groupement",
        service="Évaluation HAS, cartographie des risques, gestion des événements indésirables, audits croisés.",
    )
    subscribe_all(quality)
    services.post_create(
        function=quality, job_title="Responsable qualité et gestion des risques", fte=Decimal("0.8"),
        mode=PostMode.RECRUITED, yearly_cost=Decimal("46400.00"), starts_on=founded_on, actor=actor,
    )  # fmt: skip
    for offset, year in enumerate(years):
        services.cost_key_set(
            function=quality, year=year, method=KeyMethod.FIGURE, figure_kind=FigureKind.PLACES,
            act=f"Convention constitutive, annexe financière — clé {year}",
            figures={
                entity: (_places(index) + offset * (index % 3), f"Capacité autorisée au 1er janvier {year} (FINESS)")
                for index, entity in enumerate(members)
            },
            actor=actor,
        )  # fmt: skip

    digital = create(
        "systemes-information",
        "Numérique : dossier usager informatisé et DLU",
        responsible="Chef de projet numérique",
        service=(
            "Déploiement et support du dossier usager informatisé (DUI) et du document de liaison d'urgence (DLU)."
        ),
    )
    subscribe_all(digital)
    services.post_create(
        function=digital, job_title="Chef de projet numérique (DUI / DLU)", fte=Decimal("1.0"),
        mode=PostMode.RECRUITED, yearly_cost=Decimal("52000.00"), starts_on=founded_on, actor=actor,
    )  # fmt: skip
    for year, amount in zip(years, (Decimal("18000.00"), Decimal("19800.00")), strict=True):
        services.cost_key_set(
            function=digital, year=year, method=KeyMethod.EQUAL, act="Convention constitutive", actor=actor
        )
        services.other_cost_add(
            function=digital, year=year, label="Licences du dossier usager informatisé", amount=amount, actor=actor
        )

    training = create(
        "formation-continue",
        "Plan de formation continue mutualisé",
        responsible="Direction des ressources humaines du groupement",
        service="Plan de formation commun, achats groupés d'actions de formation, formations inter-établissements.",
    )
    subscribe_all(training)
    for offset, year in enumerate(years):
        services.cost_key_set(
            function=training, year=year, method=KeyMethod.FIGURE, figure_kind=FigureKind.FTE,
            act="Délibération de l'assemblée générale sur le plan de formation",
            figures={
                entity: (_fte(index) + offset, f"Bilan social {year - 1} du membre (ETP moyens rémunérés)")
                for index, entity in enumerate(members)
            },
            actor=actor,
        )  # fmt: skip
        services.other_cost_add(
            function=training, year=year, label="Actions de formation du plan mutualisé",
            amount=Decimal("36500.00") + offset * Decimal("2500.00"), actor=actor,
        )  # fmt: skip

    mobility_type = services.function_type_create(groupement=groupement, name="Mobilité et orientation", actor=actor)
    lender = members[0]
    mobility = create(
        mobility_type,
        "Service mobilité et orientation",
        responsible=f"Coordinatrice mise à disposition par {lender.name}",
        service="Orientation des personnes âgées entre domicile, accueil de jour et EHPAD ; transports adaptés.",
        description=(
            f"Service d'abord exercé par {lender.name} pour ses propres usagers, puis ouvert aux autres membres."
        ),
    )
    services.subscription_create(function=mobility, legal_entity=lender, starts_on=founded_on, actor=actor)
    extension = max(datetime.date(this_year, 10, 1), founded_on)  # a later founding extends it at once
    subscribe_all(mobility, start=extension, who=members[1:])
    services.post_create(
        function=mobility, job_title="Coordinatrice mobilité et orientation", fte=Decimal("1.0"),
        mode=PostMode.SECONDED, lending_member=lender, yearly_cost=Decimal("44000.00"), starts_on=founded_on,
        actor=actor,
    )  # fmt: skip
    for year in years:
        services.cost_key_set(
            function=mobility, year=year, method=KeyMethod.PERCENT,
            act="Avenant n° 1 à la convention constitutive (extension du service mobilité)",
            figures={
                entity: (share, "Avenant n° 1, article 3")
                for entity, share in zip(members, _percentages(len(members)), strict=True)
            },
            actor=actor,
        )  # fmt: skip
    for kind in COST_SHARING_KINDS:
        document_request(kind=kind, groupement=groupement, year=this_year, actor=actor, enqueue=enqueue)
