"""The pooled functions' share of the national instance and of the page benchmark (docs/scale.md).

Data: every groupement runs the sample functions of ``functions.samples`` (four functions, two years
of keys and figures) through the room's services; the cost-sharing documents are asked for without
being sent to a broker. Pages: the catalogue, the busiest function's page, the yearly split and the
member director's portal (already measured by members) with its functions section.
"""

import datetime

from django.db import transaction
from django.urls import reverse

from core import scale
from functions.models import GroupementFunction
from functions.samples import functions_load
from members.models import Groupement, LegalEntity, Membership


def build_functions(ctx: scale.ScaleContext) -> None:
    """Each groupement without functions gets the sample ones, its current members subscribing."""
    day = ctx.today
    done = set(GroupementFunction.objects.values_list("groupement_id", flat=True).distinct())
    count = 0
    for groupement in Groupement.objects.exclude(pk__in=done).order_by("pk"):
        memberships = Membership.objects.filter(groupement=groupement).active_on(day).members()
        founded_on = max((m.admitted_on for m in memberships), default=None)  # every member subscribes
        if founded_on is None:
            continue
        entities = list(LegalEntity.objects.filter(memberships__in=memberships).distinct().order_by("finess"))
        with transaction.atomic():
            functions_load(
                groupement=groupement,
                members=entities,
                founded_on=max(founded_on, datetime.date(day.year, 1, 1)),
                actor=None,
                enqueue=False,
            )
        count += 1
        if count % 20 == 0:
            ctx.log(f"  {count} groupements dotés de fonctions")
    ctx.log(f"  fonctions mutualisées : {count} groupements")


scale.register("functions", build_functions, after=("accounts",), label="Fonctions mutualisées et clés")

FUNCTIONS_SQL = "SELECT id, title FROM functions_groupementfunction WHERE groupement_id = %s"


def _page(url_name: str, *, function: bool = False, year: bool = False):
    def resolve(sample) -> scale.PageRequest | None:
        if sample.groupement is None or sample.director is None:
            return None
        kwargs = {"slug": sample.groupement.slug}
        if function:
            first = GroupementFunction.objects.filter(groupement=sample.groupement).order_by("pk").first()
            if first is None:
                return None
            kwargs["function_id"] = first.pk
        if year:
            kwargs["year"] = datetime.date.today().year  # noqa: DTZ011 (a benchmark sample)
        return scale.PageRequest(
            user=sample.director, url=reverse(url_name, kwargs=kwargs), floor_sql=FUNCTIONS_SQL,
            floor_params=(sample.groupement.pk,),
        )  # fmt: skip

    return resolve


DIRECTOR = "Directeur du groupement"
scale.page("Fonctions mutualisées (catalogue)", role=DIRECTOR, resolve=_page("functions:catalogue"))
scale.page("Fonction mutualisée (fiche)", role=DIRECTOR, resolve=_page("functions:function_detail", function=True))
scale.page("Répartition des charges de l'année", role=DIRECTOR, resolve=_page("functions:sharing", year=True))
