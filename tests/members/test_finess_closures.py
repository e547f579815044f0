"""Safe FINESS closures (issue 17 §1): full extracts only, confirmation of big waves, reopening,
older extracts, closed members still shown. Files are built here from the real rows of data/finess."""

import datetime
import io
import json

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse

from accounts.enums import Role
from core.enums import JobStatus, JournalAction
from core.exceptions import BusinessRuleError
from core.formatting import format_date
from core.models import JournalEntry
from members.enums import EligibilityCategory
from members.finess.importer import finess_import
from members.finess.parsing import detect, etalab_metadata
from members.finess.runs import finess_closures_decide
from members.models import Establishment, FinessImportRun, Membership, Region
from tests.accounts.factories import UserFactory
from tests.members.factories import GroupementFactory, MembershipFactory


pytestmark = pytest.mark.django_db

ET23 = "etalab-cs1100507-stock-20210108-0427_dep23_reconstructed.csv"
ET48 = "etalab-cs1100507-stock-20210108-0427_dep48_reconstructed.csv"
EJ23 = "etalab_stock_ej_20201231_dep23.csv"
EJ48 = "etalab_stock_ej_20201231_dep48.csv"
ALL_23 = 263


def et_lines(finess_dir):
    """(metadata line, structureet lines, geolocalisation lines) of the real dép. 23 extract, as published."""
    with open(finess_dir / ET23, encoding="cp1252", newline="") as handle:
        lines = handle.read().splitlines(keepends=True)
    return lines[0], [line for line in lines if line.startswith("structureet;")], lines[1:]


def extract(tmp_path, finess_dir, *, without=(), count=None, date="2021-02-01", keep=None, name="et23.csv"):
    """A dép. 23 extract built from the real lines: ``without`` some establishments, or only ``keep`` of them.

    ``count`` is what the metadata line announces (default: the honest number of structureet lines).
    """
    _meta, structures, rest = et_lines(finess_dir)

    def listed(line):
        finess = line.split(";")[1]
        return finess not in without and (keep is None or finess in keep)

    body = [line for line in rest if line.split(";")[1] in {s.split(";")[1] for s in structures if listed(s)}]
    announced = sum(1 for line in body if line.startswith("structureet;")) if count is None else count
    path = tmp_path / name
    with open(path, "w", encoding="cp1252", newline="") as handle:
        handle.write(f"finess;etalab;{announced};{date}\r\n")
        handle.writelines(body)
    return path


def finess_numbers(finess_dir):
    return [line.split(";")[1] for line in et_lines(finess_dir)[1]]


@pytest.fixture
def imported(finess_dir):
    """The real Creuse and Lozère extracts of 2021-01-08, imported."""
    finess_import([finess_dir / EJ23, finess_dir / ET23, finess_dir / EJ48, finess_dir / ET48])


@pytest.fixture
def admin():
    return UserFactory(is_superuser=True, is_staff=True)


def closed_numbers():
    return set(Establishment.objects.filter(closed=True).values_list("finess", flat=True))


class TestMetadataLine:
    def test_the_real_extract_announces_its_rows(self, finess_dir):
        meta, structures, _rest = et_lines(finess_dir)
        assert etalab_metadata(meta) == (ALL_23, datetime.date(2021, 1, 8))
        assert len(structures) == ALL_23
        assert detect(finess_dir / ET23).announced_rows == ALL_23

    @pytest.mark.parametrize(
        ("line", "expected"),
        [
            ("finess;etalab;;2021-01-08", (None, datetime.date(2021, 1, 8))),
            ("finess;etalab;12;", (12, None)),
            ("finess;etalab;douze;2021-13-40", (None, None)),
            ("structureet;230000010", (None, None)),
        ],
    )
    def test_unreadable_parts_are_none(self, line, expected):
        assert etalab_metadata(line) == expected


class TestFullExtractOnly:
    def test_an_honest_full_extract_closes_what_it_no_longer_lists(self, imported, finess_dir, tmp_path):
        gone = finess_numbers(finess_dir)[5]
        result = finess_import([extract(tmp_path, finess_dir, without={gone})])
        assert result.closed == 1
        assert closed_numbers() == {gone}
        assert Establishment.objects.get(finess=gone).closed_on == datetime.date(2021, 2, 1)
        assert Establishment.objects.count() == 263 + 274  # nothing deleted, dép. 48 untouched

    def test_three_lines_under_the_full_extract_line_close_nothing(self, imported, finess_dir, tmp_path):
        three = set(finess_numbers(finess_dir)[:3])
        cut = extract(tmp_path, finess_dir, keep=three, count=ALL_23)
        result = finess_import([cut])
        assert result.closed == 0 and not closed_numbers()
        assert result.read == 3
        note = result.as_dict()["notes"][0]
        assert "Aucune fermeture : ce n'est pas un extrait complet" in note
        assert "annonce 263 établissements mais le fichier en contient 3" in note

    def test_a_cut_file_still_creates_and_updates(self, imported, finess_dir, tmp_path):
        first = finess_numbers(finess_dir)[0]
        Establishment.objects.filter(finess=first).delete()
        cut = extract(tmp_path, finess_dir, keep={first, finess_numbers(finess_dir)[1]}, count=ALL_23)
        result = finess_import([cut])
        assert (result.created, result.closed) == (1, 0)
        assert Establishment.objects.filter(finess=first, closed=False).exists()

    def test_a_metadata_line_without_count_closes_nothing(self, imported, finess_dir, tmp_path):
        path = extract(tmp_path, finess_dir, without={finess_numbers(finess_dir)[5]})
        lines = path.read_text(encoding="cp1252").splitlines(keepends=True)
        lines[0] = "finess;etalab;;2021-02-01\r\n"
        path.write_text("".join(lines), encoding="cp1252", newline="")
        result = finess_import([path])
        assert result.closed == 0
        assert "n'annonce pas de nombre de lignes" in result.as_dict()["notes"][0]

    def test_the_summary_on_the_run_page_says_why(self, imported, finess_dir, tmp_path, client, admin):
        cut = extract(tmp_path, finess_dir, keep=set(finess_numbers(finess_dir)[:3]), count=ALL_23)
        summary = finess_import([cut]).as_dict()
        run = FinessImportRun.objects.create(files=[], requested_by=admin, status=JobStatus.DONE, result=summary)
        client.force_login(admin)
        page = client.get(reverse("finess:run_detail", kwargs={"public_id": run.public_id}))
        text = " ".join(BeautifulSoup(page.content, "html.parser").get_text(" ").split())
        assert "ce n'est pas un extrait complet" in text


class TestClosureWaves:
    def test_a_wave_above_the_share_waits(self, imported, finess_dir, tmp_path):
        gone = set(finess_numbers(finess_dir)[:30])  # 30 of 263 open: 11 %, above 10 %
        result = finess_import([extract(tmp_path, finess_dir, without=gone)])
        assert result.closed == 0 and not closed_numbers()
        (wave,) = result.as_dict()["pending_closures"]
        assert (wave["departement"], wave["open"], wave["extract_date"]) == ("23", ALL_23, "2021-02-01")
        assert {finess for _pk, finess, _name in wave["establishments"]} == gone
        assert "30 fermetures sur 263 établissements ouverts, plus de 10 %" in result.as_dict()["notes"][0]

    def test_a_wave_at_most_the_share_is_applied(self, imported, finess_dir, tmp_path):
        gone = set(finess_numbers(finess_dir)[:26])  # 26 of 263: 9.9 %
        result = finess_import([extract(tmp_path, finess_dir, without=gone)])
        assert result.closed == 26 and closed_numbers() == gone

    def test_the_share_is_a_setting(self, imported, finess_dir, tmp_path, settings):
        settings.FINESS_CLOSURE_CONFIRM_SHARE = 0.5
        gone = set(finess_numbers(finess_dir)[:30])
        assert finess_import([extract(tmp_path, finess_dir, without=gone)]).closed == 30

    def test_the_command_can_confirm_at_once(self, imported, finess_dir, tmp_path):
        gone = set(finess_numbers(finess_dir)[:30])
        out = io.StringIO()
        call_command("import_finess", str(extract(tmp_path, finess_dir, without=gone)), stdout=out)
        assert "Fermetures non appliquées (département 23)" in out.getvalue()
        assert not closed_numbers()
        call_command(
            "import_finess", str(extract(tmp_path, finess_dir, without=gone)), "--confirm-closures", stdout=out
        )
        assert json.loads(out.getvalue().splitlines()[-1])["closed"] == 30

    def _run_with_wave(self, finess_dir, tmp_path, admin, gone):
        summary = finess_import([extract(tmp_path, finess_dir, without=gone)]).as_dict()
        return FinessImportRun.objects.create(files=[], requested_by=admin, status=JobStatus.DONE, result=summary)

    def test_an_admin_confirms_on_the_run_page(self, imported, finess_dir, tmp_path, client, admin):
        gone = set(finess_numbers(finess_dir)[:30])
        run = self._run_with_wave(finess_dir, tmp_path, admin, gone)
        client.force_login(admin)
        url = reverse("finess:run_detail", kwargs={"public_id": run.public_id})
        soup = BeautifulSoup(client.get(url).content, "html.parser")
        wave = soup.select_one("section.closure-wave")
        assert "Fermetures à confirmer — département 23" in wave.h3.text
        assert len(wave.select("tbody tr")) == 30
        response = client.post(
            reverse("finess:run_closures", kwargs={"public_id": run.public_id, "index": 0}), {"decision": "confirm"}
        )
        assert response.status_code == 302
        assert closed_numbers() == gone
        run.refresh_from_db()
        assert run.result["closed"] == 30
        assert run.result["pending_closures"][0]["decision"]["confirmed"] is True
        entry = JournalEntry.objects.get(action=JournalAction.FINESS_CLOSURES_DECIDED)
        assert entry.actor == admin
        assert entry.facts | {"run": ""} == {
            "run": "",
            "departement": "23",
            "extract_date": "2021-02-01",
            "confirmed": True,
            "proposed": 30,
            "closed": 30,
        }
        page = " ".join(BeautifulSoup(client.get(url).content, "html.parser").get_text(" ").split())
        assert "30 établissements fermés" in page
        assert "Confirmer les 30 fermetures" not in page

    def test_an_admin_may_set_a_wave_aside(self, imported, finess_dir, tmp_path, admin):
        run = self._run_with_wave(finess_dir, tmp_path, admin, set(finess_numbers(finess_dir)[:30]))
        assert finess_closures_decide(run=run, index=0, confirm=False, actor=admin) == 0
        assert not closed_numbers()
        assert JournalEntry.objects.get(action=JournalAction.FINESS_CLOSURES_DECIDED).facts["confirmed"] is False
        with pytest.raises(BusinessRuleError, match="déjà été confirmées ou écartées"):
            finess_closures_decide(run=run, index=0, confirm=True, actor=admin)
        with pytest.raises(BusinessRuleError, match="pas de fermetures en attente"):
            finess_closures_decide(run=run, index=3, confirm=True, actor=admin)

    def test_only_a_platform_admin_decides(self, imported, finess_dir, tmp_path, admin, client):
        run = self._run_with_wave(finess_dir, tmp_path, admin, set(finess_numbers(finess_dir)[:30]))
        someone = UserFactory()
        with pytest.raises(PermissionDenied):
            finess_closures_decide(run=run, index=0, confirm=True, actor=someone)
        client.force_login(someone)
        url = reverse("finess:run_closures", kwargs={"public_id": run.public_id, "index": 0})
        assert client.post(url, {"decision": "confirm"}).status_code == 403
        assert not closed_numbers()

    def test_a_confirmation_skips_what_a_later_import_listed_again(self, imported, finess_dir, tmp_path, admin):
        gone = finess_numbers(finess_dir)[:30]
        run = self._run_with_wave(finess_dir, tmp_path, admin, set(gone))
        Establishment.objects.filter(finess=gone[0]).update(finess_updated_on=datetime.date(2021, 3, 1))
        assert finess_closures_decide(run=run, index=0, confirm=True, actor=admin) == 29


class TestReopeningAndOlderExtracts:
    def test_an_establishment_closed_by_an_extract_reopens_when_listed_again(self, imported, finess_dir, tmp_path):
        gone = finess_numbers(finess_dir)[7]
        finess_import([extract(tmp_path, finess_dir, without={gone}, date="2021-01-08", name="a.csv")])
        assert closed_numbers() == {gone}
        # The real full extract of the same day lists it again: it reopens.
        assert finess_import([finess_dir / ET23]).updated == 1
        assert not closed_numbers()
        reopened = Establishment.objects.get(finess=gone)
        assert (reopened.closed, reopened.closed_on) == (False, None)

    def test_a_later_extract_reopens_too(self, imported, finess_dir, tmp_path):
        gone = finess_numbers(finess_dir)[7]
        finess_import([extract(tmp_path, finess_dir, without={gone}, date="2021-02-01", name="a.csv")])
        finess_import([extract(tmp_path, finess_dir, date="2021-03-01", name="b.csv")])
        assert not closed_numbers()

    def test_an_older_extract_changes_nothing_and_says_so(self, imported, finess_dir, tmp_path):
        gone = finess_numbers(finess_dir)[7]
        finess_import([extract(tmp_path, finess_dir, without={gone}, date="2021-02-01", name="a.csv")])
        before = list(Establishment.objects.order_by("id").values())
        # The extract of 2021-01-08 is older than the closing of 2021-02-01 held now.
        result = finess_import([finess_dir / ET23])
        assert list(Establishment.objects.order_by("id").values()) == before
        assert (result.created, result.updated, result.closed, result.unchanged) == (0, 0, 0, ALL_23)
        assert result.as_dict()["notes"] == [
            f"{ET23} : Extrait du 08/01/2021 plus ancien que les données déjà importées pour ses départements "
            "(mises à jour le 01/02/2021) : rien n'a été modifié."
        ]

    def test_an_older_extract_does_not_create_either(self, imported, finess_dir, tmp_path):
        first = finess_numbers(finess_dir)[0]
        Establishment.objects.filter(finess=first).delete()
        older = extract(tmp_path, finess_dir, date="2020-06-01")
        result = finess_import([older])
        assert result.created == 0
        assert not Establishment.objects.filter(finess=first).exists()
        assert "plus ancien que les données déjà importées" in result.as_dict()["notes"][0]


class TestClosedMembers:
    @pytest.fixture
    def member(self, imported):
        establishment = (
            Establishment.objects.filter(departement_id="23", eligibility=EligibilityCategory.MANDATORY)
            .order_by("finess")
            .first()
        )
        groupement = GroupementFactory(name="GTSMS Creuse", slug="creuse")
        groupement.departements.set(["23"])
        membership = MembershipFactory(groupement=groupement, legal_entity=establishment.legal_entity)
        return membership, establishment

    def test_closing_keeps_the_membership_and_says_so(
        self, member, finess_dir, tmp_path, client, user_with_role, settings
    ):
        membership, establishment = member
        settings.FINESS_CLOSURE_CONFIRM_SHARE = 1
        finess_import([extract(tmp_path, finess_dir, without={establishment.finess})])
        establishment.refresh_from_db()
        assert establishment.closed
        assert Membership.objects.get(pk=membership.pk).left_on is None
        closed_text = f"fermé dans FINESS le {format_date(datetime.date(2021, 2, 1))}"

        client.force_login(user_with_role(Role.GROUPEMENT_DIRECTOR, membership.groupement))
        for url in (
            reverse("members:groupement_dashboard", args=["creuse"]),
            reverse("members:member_list", args=["creuse"]),
            reverse("members:member_detail", args=["creuse", membership.pk]),
        ):
            text = " ".join(BeautifulSoup(client.get(url).content, "html.parser").get_text(" ").split())
            assert closed_text in text, url

        client.force_login(user_with_role(Role.ARS_REVIEWER, Region.objects.get(code="75")))
        text = " ".join(BeautifulSoup(client.get("/ars/couverture/").content, "html.parser").get_text(" ").split())
        assert f"{establishment.name} {closed_text}" in text
