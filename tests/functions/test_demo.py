"""The demo's pooled functions: both groupements meet the legal minimum and their split holds, this
year and next, with the JSON contract of the cost_sharing command."""

import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from demo.services import demo_load
from functions.models import GroupementFunction, SharedPost
from functions.selectors import legal_minimum_met
from functions.sharing import year_split
from members.models import Groupement


pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def today():
    """The demo is dated by its groupements' founding (2026), not by the tests' clock."""


def test_the_demo_runs_four_functions_per_groupement_and_the_contract_holds():
    demo_load()
    for groupement in Groupement.objects.order_by("slug"):
        functions = GroupementFunction.objects.filter(groupement=groupement)
        assert functions.count() == 4
        assert SharedPost.objects.filter(function__groupement=groupement, mode="SECONDED").count() == 1
        assert SharedPost.objects.get(function__groupement=groupement, fte=Decimal("0.8")).job_title.startswith(
            "Responsable qualité"
        )
        for year in (2026, 2027):
            split = year_split(groupement=groupement, year=year)
            assert split.errors == []
            for function in split.functions:
                assert sum((s.amount for s in function.shares), Decimal(0)) == function.cost > 0
            out = io.StringIO()
            call_command("cost_sharing", "--groupement", groupement.slug, "--year", str(year), stdout=out)
            contract = json.loads(out.getvalue().strip().splitlines()[-1])
            assert contract["year"] == year and len(contract["functions"]) == 4
            assert sum(Decimal(v) for v in contract["members"].values()) == sum(
                Decimal(f["cost"]) for f in contract["functions"]
            )
        assert legal_minimum_met(groupement, groupement.memberships.first().admitted_on).met
