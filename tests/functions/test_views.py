"""Pages of the pooled functions: who sees what, forms through services, query counts constant in rows."""

import datetime
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.enums import Role
from documents.models import GenerationJob
from functions import services
from functions.enums import FigureKind, KeyMethod, PostMode, PostSplit
from functions.models import CostKey, Subscription
from members.models import Departement, Region
from tests.members.factories import EstablishmentFactory, GroupementFactory


pytestmark = pytest.mark.django_db

D = datetime.date


def soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def text(response) -> str:
    return " ".join(soup(response).get_text(" ", strip=True).split()).replace("\u00a0", " ")


def queries(client, url) -> int:
    client.get(url)  # the session's activity stamps are written on the first request
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(context.captured_queries)


@pytest.fixture
def director_client(client, director):
    client.force_login(director)
    return client


def populate(groupement, function, make_member, count):
    """``count`` subscribers with figures, two posts (one by hours) and two other costs per year."""
    entities = [make_member() for _ in range(count)]
    for entity in entities:
        services.subscription_create(function=function, legal_entity=entity, starts_on=D(2026, 1, 1))
    services.post_create(
        function=function, job_title="Responsable qualité", fte=Decimal("0.8"), mode=PostMode.SECONDED,
        lending_member=entities[0], yearly_cost=Decimal("46400"), starts_on=D(2026, 1, 1),
    )  # fmt: skip
    by_hours = services.post_create(
        function=function, job_title="Ingénieur", fte=Decimal(1), mode=PostMode.RECRUITED,
        yearly_cost=Decimal("30000"), starts_on=D(2026, 3, 1), split=PostSplit.HOURS,
    )  # fmt: skip
    services.post_hours_set(post=by_hours, year=2026, hours={entity: Decimal(10) for entity in entities})
    services.cost_key_set(
        function=function, year=2026, method=KeyMethod.FIGURE, figure_kind=FigureKind.PLACES,
        figures={entity: (Decimal(40 + i), "FINESS") for i, entity in enumerate(entities)},
    )  # fmt: skip
    for label in ("Licence", "Audit"):
        services.other_cost_add(function=function, year=2026, label=label, amount=Decimal("1000"))
    return entities


class TestCatalogue:
    def url(self, groupement):
        return reverse("functions:catalogue", args=[groupement.slug])

    def test_shows_the_catalogue_the_groupement_runs_and_the_legal_minimum(
        self, director_client, groupement, function, subscribed
    ):
        response = director_client.get(self.url(groupement))
        page = text(response)
        assert "Minimum légal au 15 juin 2026" in page and "Atteint" in page
        assert "Qualité et gestion des risques" in page and "Pharmacie à usage intérieur" in page
        assert soup(response).select_one("a[href$='/fonctions/nouvelle/']") is not None
        assert 'aria-current="page"' in str(soup(response).select_one("nav.sub-nav a[href$='/fonctions/']"))

    def test_not_met_is_said(self, director_client, groupement):
        assert "Non atteint" in text(director_client.get(self.url(groupement)))

    @pytest.mark.parametrize("count", [1, 6])
    def test_query_count_does_not_grow_with_functions(
        self, director_client, groupement, make_member, quality_type, count
    ):
        for index in range(count):
            function = services.function_create(
                groupement=groupement, function_type=quality_type, title=f"Fonction {index}", starts_on=D(2026, 1, 1)
            )
            populate(groupement, function, make_member, 2)
        # session, user, groupement + départements, 2 permissions, reader scope skipped; catalogue types,
        # functions with counts, legal minimum; navigation roles; savepoint pair.
        assert queries(director_client, self.url(groupement)) == 12

    def test_a_director_of_another_groupement_is_refused(self, client, user_with_role, groupement):
        client.force_login(user_with_role(Role.GROUPEMENT_DIRECTOR, GroupementFactory()))
        assert client.get(self.url(groupement)).status_code == 403

    def test_an_establishment_director_is_refused(self, client, user_with_role, groupement, members):
        site = EstablishmentFactory(legal_entity=members[0])
        client.force_login(user_with_role(Role.ESTABLISHMENT_DIRECTOR, site))
        assert client.get(self.url(groupement)).status_code == 403

    def test_the_groupement_type_form(self, director_client, groupement):
        response = director_client.post(
            reverse("functions:function_type_create", args=[groupement.slug]), {"type-name": "Éthique"}, follow=True
        )
        assert "Le type de fonction « Éthique » est ajouté" in text(response)


class TestReaders:
    def test_an_ars_reader_of_the_region_reads_without_forms(
        self, client, user_with_role, groupement, function, subscribed
    ):
        client.force_login(user_with_role(Role.ARS_REVIEWER, Region.objects.get(code="75")))
        response = client.get(reverse("functions:catalogue", args=[groupement.slug]))
        assert response.status_code == 200
        assert "lecture seule" in text(response)
        assert soup(response).select_one("a[href$='/fonctions/nouvelle/']") is None
        assert soup(response).select_one("nav.sub-nav") is None
        detail = client.get(reverse("functions:function_detail", args=[groupement.slug, function.pk]))
        assert detail.status_code == 200 and "Faire adhérer" not in text(detail)
        sharing = client.get(reverse("functions:sharing", args=[groupement.slug, 2026]))
        assert sharing.status_code == 200 and "Demander le document" not in text(sharing)
        assert client.get(reverse("functions:subscribe", args=[groupement.slug, function.pk])).status_code == 403
        assert client.post(reverse("functions:function_type_create", args=[groupement.slug]), {}).status_code == 403

    def test_a_departement_reader_of_one_of_its_departements_reads(self, client, user_with_role, groupement):
        client.force_login(user_with_role(Role.DEPARTEMENT_READER, Departement.objects.get(code="23")))
        assert client.get(reverse("functions:catalogue", args=[groupement.slug])).status_code == 200

    def test_readers_out_of_scope_are_refused(self, client, user_with_role, groupement):
        client.force_login(user_with_role(Role.ARS_REVIEWER, Region.objects.get(code="76")))
        assert client.get(reverse("functions:catalogue", args=[groupement.slug])).status_code == 403
        client.force_login(user_with_role(Role.DEPARTEMENT_READER, Departement.objects.get(code="48")))
        assert client.get(reverse("functions:catalogue", args=[groupement.slug])).status_code == 403


class TestFunctionDetail:
    def url(self, groupement, function, year=None):
        url = reverse("functions:function_detail", args=[groupement.slug, function.pk])
        return f"{url}?annee={year}" if year else url

    def test_shows_subscribers_posts_key_costs_and_the_split(self, director_client, groupement, function, make_member):
        entities = populate(groupement, function, make_member, 3)
        page = text(director_client.get(self.url(groupement, function)))
        assert entities[0].name in page and "Responsable qualité" in page and "(mise à disposition)" in page
        assert "Au prorata d'un chiffre annuel de chaque membre — Nombre de places" in page
        assert "Licence" in page and "Répartition 2026" in page
        assert "× 365 jours d'adhésion" in page

    def test_a_year_without_key_says_why(self, director_client, groupement, function, subscribed):
        services.other_cost_add(function=function, year=2027, label="Licence", amount=Decimal("10"))
        page = text(director_client.get(self.url(groupement, function, 2027)))
        assert "Répartition impossible : Aucune clé de répartition n'est fixée pour 2027" in page

    @pytest.mark.parametrize("count", [1, 7])
    def test_query_count_does_not_grow_with_rows(self, director_client, groupement, function, make_member, count):
        populate(groupement, function, make_member, count)
        # access (6 with savepoint), function, subscriptions, posts + hours, keys + figures, other costs,
        # then the year's split (function, subscriptions + memberships, posts + hours, key + figures,
        # other costs), navigation roles.
        assert queries(director_client, self.url(groupement, function)) == 24

    def test_another_groupements_function_is_not_found(self, director_client, groupement, quality_type):
        other = services.function_create(
            groupement=GroupementFactory(), function_type=quality_type, title="Autre", starts_on=D(2026, 1, 1)
        )
        assert director_client.get(self.url(groupement, other)).status_code == 404


class TestForms:
    def test_create_a_function(self, director_client, groupement, quality_type):
        url = reverse("functions:function_create", args=[groupement.slug])
        assert director_client.get(url).status_code == 200
        response = director_client.post(
            url, {"function_type": quality_type.pk, "title": "Qualité", "starts_on": "2026-01-01"}, follow=True
        )
        assert "La fonction « Qualité » est créée." in text(response)

    def test_a_refused_function_shows_the_field(self, director_client, groupement, quality_type):
        url = reverse("functions:function_create", args=[groupement.slug])
        response = director_client.post(
            url,
            {"function_type": quality_type.pk, "title": "Qualité", "starts_on": "2026-03-01", "ends_on": "2026-01-01"},
        )
        assert response.status_code == 200
        assert "« Fin » : la fin de la fonction" in text(response)

    def test_edit(self, director_client, groupement, function, quality_type):
        url = reverse("functions:function_edit", args=[groupement.slug, function.pk])
        assert director_client.get(url).status_code == 200
        response = director_client.post(
            url, {"function_type": quality_type.pk, "title": "Qualité (pôle)", "starts_on": "2026-01-01"}, follow=True
        )
        assert "La fonction « Qualité (pôle) » est modifiée." in text(response)

    def test_subscribe_and_unsubscribe(self, director_client, groupement, function, members):
        url = reverse("functions:subscribe", args=[groupement.slug, function.pk])
        assert members[0].name in text(director_client.get(url))
        response = director_client.post(url, {"legal_entity": members[0].pk, "starts_on": "2026-02-01"}, follow=True)
        assert f"« {members[0].name} » adhère" in text(response)
        subscription = Subscription.objects.get()
        end_url = reverse("functions:unsubscribe", args=[groupement.slug, function.pk, subscription.pk])
        assert director_client.get(end_url).status_code == 200
        response = director_client.post(end_url, {"ends_on": "2026-01-15"})
        assert "« Fin »" in text(response)
        response = director_client.post(end_url, {"ends_on": "2026-12-31"}, follow=True)
        assert "prend fin le 31 décembre 2026" in text(response)

    def test_add_a_post_refused_then_allowed(self, director_client, groupement, function, members):
        url = reverse("functions:post_create", args=[groupement.slug, function.pk])
        assert director_client.get(url).status_code == 200
        data = {"job_title": "Qualiticienne", "fte": "-1", "mode": "RECRUITED", "yearly_cost": "40000",
                "split": "KEY", "starts_on": "2026-01-01"}  # fmt: skip
        assert "« ETP »" in text(director_client.post(url, data))
        data["fte"] = "0,8"
        assert "Le poste « Qualiticienne » est ajouté." in text(director_client.post(url, data, follow=True))

    def test_set_the_key_with_figures(self, director_client, groupement, function, subscribed):
        url = reverse("functions:cost_key", args=[groupement.slug, function.pk, 2026])
        assert subscribed[0].name in text(director_client.get(url))
        data = {"method": "PERCENT", "figure_kind": "", "act": "AG du 3 mars 2026"}
        for entity, value in zip(subscribed, ["50", "30", "19,99"], strict=True):
            data[f"value_{entity.pk}"], data[f"source_{entity.pk}"] = value, "Convention"
        assert "« Pourcentages »" in text(director_client.post(url, data))
        data[f"value_{subscribed[2].pk}"] = "20"
        assert "est enregistrée" in text(director_client.post(url, data, follow=True))
        assert CostKey.objects.get().figures.count() == 3

    def test_post_hours(self, director_client, groupement, function, subscribed):
        post = services.post_create(
            function=function, job_title="Ingénieur", fte=Decimal("0.5"), mode=PostMode.RECRUITED,
            yearly_cost=Decimal(30000), starts_on=D(2026, 1, 1), split=PostSplit.HOURS,
        )  # fmt: skip
        url = reverse("functions:post_hours", args=[groupement.slug, function.pk, post.pk, 2026])
        assert director_client.get(url).status_code == 200
        response = director_client.post(url, {f"hours_{subscribed[0].pk}": "900"})
        assert "au-delà de 100 %" in text(response)
        response = director_client.post(url, {f"hours_{subscribed[0].pk}": "400"}, follow=True)
        assert "sont enregistrées" in text(response)

    def test_other_cost(self, director_client, groupement, function):
        url = reverse("functions:other_cost_add", args=[groupement.slug, function.pk])
        assert director_client.get(url).status_code == 200
        assert "« Montant »" in text(director_client.post(url, {"year": "2026", "label": "Avoir", "amount": "-3"}))
        response = director_client.post(url, {"year": "2026", "label": "Licence", "amount": "1 200,50"}, follow=True)
        assert "Le coût « Licence » (2026) est ajouté." in text(response)

    def test_staff_manages_too(self, client, user_with_role, groupement):
        client.force_login(user_with_role(Role.GROUPEMENT_STAFF, groupement))
        assert client.get(reverse("functions:function_create", args=[groupement.slug])).status_code == 200


class TestSharing:
    def url(self, groupement, year=2026):
        return reverse("functions:sharing", args=[groupement.slug, year])

    def test_the_members_and_functions_tables(self, director_client, groupement, function, make_member):
        entities = populate(groupement, function, make_member, 3)
        response = director_client.get(self.url(groupement))
        rows = soup(response).select("#members-table tbody tr")
        assert len(rows) == 3 and entities[0].finess in rows[0].get_text()
        assert "Remboursement" in text(response)
        assert director_client.get(reverse("functions:sharing_current", args=[groupement.slug])).status_code == 302

    @pytest.mark.parametrize("count", [1, 7])
    def test_query_count_does_not_grow_with_rows(
        self, director_client, groupement, function, make_member, quality_type, count
    ):
        populate(groupement, function, make_member, count)
        for index in range(count):
            other = services.function_create(
                groupement=groupement, function_type=quality_type, title=f"Fonction {index}", starts_on=D(2026, 1, 1)
            )
            populate(groupement, other, make_member, 1)
        # access, then the year's split of every function (one query per relation), navigation roles.
        assert queries(director_client, self.url(groupement)) == 17

    def test_requesting_the_documents(
        self, director_client, groupement, function, subscribed, django_capture_on_commit_callbacks
    ):
        url = reverse("functions:sharing_document", args=[groupement.slug, 2026])
        with django_capture_on_commit_callbacks(execute=False):
            response = director_client.post(url, {"kind": "cost_sharing_xlsx"})
        job = GenerationJob.objects.get()
        assert response.status_code == 302 and job.kind == "cost_sharing_xlsx" and job.year == 2026


class TestPortal:
    @pytest.fixture
    def portal_client(self, client, user_with_role, groupement, function, make_member):
        entities = populate(groupement, function, make_member, 2)
        site = EstablishmentFactory(legal_entity=entities[1])
        client.force_login(user_with_role(Role.ESTABLISHMENT_DIRECTOR, site))
        client.entities = entities
        return client

    def test_the_section_shows_subscriptions_and_shares_with_explanation(self, portal_client):
        response = portal_client.get(reverse("members:portal"))
        section = soup(response).select_one("#fonctions-mutualisees").parent
        content = " ".join(section.get_text(" ", strip=True).split()).replace("\u00a0", " ")
        assert "Qualité et gestion des risques" in content
        assert "2025" in content and "2026" in content and "2027" in content
        assert "jours d'adhésion" in content

    @pytest.mark.parametrize("count", [1, 5])
    def test_query_count_does_not_grow_with_functions(
        self, portal_client, groupement, make_member, quality_type, count
    ):
        for index in range(count):
            other = services.function_create(
                groupement=groupement, function_type=quality_type, title=f"Fonction {index}", starts_on=D(2026, 1, 1)
            )
            services.subscription_create(
                function=other, legal_entity=portal_client.entities[1], starts_on=D(2026, 1, 1)
            )
            services.cost_key_set(function=other, year=2026, method=KeyMethod.EQUAL)
            services.other_cost_add(function=other, year=2026, label="Licence", amount=Decimal(100))
        # the members portal (with its documents and governance sections), then three years' split of
        # the one groupement (6 queries a year).
        assert queries(portal_client, reverse("members:portal")) == 29
