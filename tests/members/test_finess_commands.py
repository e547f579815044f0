"""Commands import_finess and eligibility_report, and the report selector, on the real dép. 23/48 extracts."""

import csv
import datetime
import io
import json

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from openpyxl import load_workbook

from members.finess.importer import finess_import
from members.finess.report import REPORT_COLUMNS, eligibility_report_rows
from members.models import Establishment, LegalEntity
from tests.members.factories import GroupementFactory, MembershipFactory


pytestmark = pytest.mark.django_db

ET23 = "etalab-cs1100507-stock-20210108-0427_dep23_reconstructed.csv"
ET48 = "etalab-cs1100507-stock-20210108-0427_dep48_reconstructed.csv"
EJ23 = "etalab_stock_ej_20201231_dep23.csv"
EJ48 = "etalab_stock_ej_20201231_dep48.csv"


class TestImportFinessCommand:
    def test_progress_then_json_last(self, finess_dir):
        out = io.StringIO()
        call_command("import_finess", str(finess_dir / ET23), str(finess_dir / EJ23), stdout=out)
        lines = out.getvalue().splitlines()
        assert json.loads(lines[-1]) == {
            "read": 423,
            "created": 423,
            "updated": 0,
            "unchanged": 0,
            "closed": 0,
            "rejected": 0,
            "errors": [],
            "notes": [],
            "pending_closures": [],
        }
        assert lines[0].startswith("[  0 %]") and EJ23 in lines[0]
        assert any("Établissements : 263 lignes lues" in line for line in lines)
        assert any(line.startswith(f"{ET23} : 263 lignes lues, 263 créées") for line in lines)

    def test_rejected_lines_are_listed(self, finess_dir, tmp_path):
        text = (finess_dir / ET48).read_text(encoding="utf-8").replace(";2016-08-18;", ";18/13/2016;", 1)
        bad = tmp_path / "et48.csv"
        bad.write_text(text, encoding="utf-8")
        out = io.StringIO()
        call_command("import_finess", str(bad), stdout=out)
        lines = [line.strip() for line in out.getvalue().splitlines()]
        assert "Rejet (ligne 2) : date invalide « 18/13/2016 » (colonne datemaj)" in lines
        assert json.loads(lines[-1])["rejected"] == 1

    def test_refused_file_raises(self, finess_dir):
        with pytest.raises(
            CommandError, match=r"Import refusé : Le fichier « README\.md » n'est pas un extrait FINESS"
        ):
            call_command("import_finess", str(finess_dir / EJ23), str(finess_dir / "README.md"), stdout=io.StringIO())
        assert not LegalEntity.objects.exists()

    def test_refused_file_exits_with_a_non_zero_code(self, finess_dir, capsys):
        with pytest.raises(SystemExit) as exit_info:
            execute_from_command_line(["manage.py", "import_finess", "--skip-checks", str(finess_dir / "README.md")])
        assert exit_info.value.code == 1
        assert "Import refusé" in capsys.readouterr().err

    def test_missing_file(self, tmp_path):
        with pytest.raises(CommandError, match="n'existe pas"):
            call_command("import_finess", str(tmp_path / "absent.csv"))


@pytest.fixture
def two_departements(finess_dir):
    finess_import([finess_dir / EJ23, finess_dir / ET23, finess_dir / EJ48, finess_dir / ET48])


class TestReportSelector:
    def test_rows_of_a_departement(self, two_departements, django_assert_num_queries):
        with django_assert_num_queries(2):
            rows = eligibility_report_rows(departement="23")
        assert all(row["finess_et"].startswith("23") for row in rows)
        assert [row["finess_et"] for row in rows] == sorted(row["finess_et"] for row in rows)
        assert {row["membership_category"] for row in rows} == {"MANDATORY", "OPTIONAL", "PARTNER_ONLY"}
        expected = Establishment.objects.filter(departement_id="23").exclude(eligibility="OUT_OF_SCOPE").count()
        assert len(rows) == expected
        by_finess = {row["finess_et"]: row for row in rows}
        assert by_finess["230000283"] == {
            "finess_et": "230000283",
            "finess_ej": "230002669",
            "name": "EHPAD LES BOUQUETS",
            "category_code": "500",
            "statut_code": "21",
            "membership_category": "MANDATORY",
            "rule": "MANDATORY_AUTONOMOUS_PUBLIC_EHPAD",
            "groupements": "",
        }
        assert "230000820" not in by_finess  # the CH de Guéret: out of scope
        assert "230001596" not in by_finess  # a pharmacy

    def test_groupements_of_the_legal_entity(self, two_departements, django_assert_num_queries):
        bellegarde = LegalEntity.objects.get(finess="230002669")
        gtsms = GroupementFactory(name="GTSMS Creuse Sud")
        gcsms = GroupementFactory(name="GCSMS Achats Creuse", kind="GCSMS")
        MembershipFactory(groupement=gtsms, legal_entity=bellegarde, admitted_on=datetime.date(2026, 1, 1))
        MembershipFactory(groupement=gcsms, legal_entity=bellegarde, admitted_on=datetime.date(2024, 1, 1))
        old = GroupementFactory(name="GCSMS dissous")
        MembershipFactory(
            groupement=old,
            legal_entity=bellegarde,
            admitted_on=datetime.date(2020, 1, 1),
            left_on=datetime.date(2023, 1, 1),
            leave_reason="DISSOLUTION",
            leave_act="Délibération de dissolution",
        )
        with django_assert_num_queries(2):
            rows = eligibility_report_rows(departement="23", day=datetime.date(2026, 6, 1))
        row = next(r for r in rows if r["finess_et"] == "230000283")
        assert row["groupements"] == "GCSMS Achats Creuse; GTSMS Creuse Sud"
        earlier = eligibility_report_rows(departement="23", day=datetime.date(2025, 6, 1))
        assert next(r for r in earlier if r["finess_et"] == "230000283")["groupements"] == "GCSMS Achats Creuse"

    def test_closed_establishments_are_left_out(self, two_departements):
        Establishment.objects.filter(finess="230000283").update(closed=True, closed_on=datetime.date(2026, 1, 1))
        assert "230000283" not in {row["finess_et"] for row in eligibility_report_rows(departement="23")}

    def test_undecided_medico_social_establishments_are_listed(self, finess_dir):
        finess_import([finess_dir / ET23])  # no EJ file: statuts unknown
        rows = eligibility_report_rows(departement="23")
        by_finess = {row["finess_et"]: row for row in rows}
        assert by_finess["230000283"]["membership_category"] == ""
        assert by_finess["230000283"]["rule"] == "STATUT_UNKNOWN"
        assert "230000820" not in by_finess  # a hospital stays out even undecided

    def test_region(self, two_departements):
        rows = eligibility_report_rows(region="76")  # Occitanie: Lozère only
        assert rows and all(row["finess_et"].startswith("48") for row in rows)


class TestEligibilityReportCommand:
    def test_json_to_stdout(self, two_departements):
        out = io.StringIO()
        call_command("eligibility_report", "--departement", "48", stdout=out)
        rows = json.loads(out.getvalue())
        assert rows == eligibility_report_rows(departement="48")
        assert {row["finess_et"][:2] for row in rows} == {"48"}
        ehpad = next(row for row in rows if row["finess_et"] == "480780394")
        assert (ehpad["membership_category"], ehpad["statut_code"]) == ("MANDATORY", "22")

    def test_csv_is_semicolon_separated_utf8_with_bom(self, two_departements, tmp_path):
        output = tmp_path / "rapport.csv"
        call_command("eligibility_report", "--departement", "23", "--format", "csv", "--output", str(output))
        raw = output.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
        assert rows[0] == list(REPORT_COLUMNS)
        assert len(rows) - 1 == len(eligibility_report_rows(departement="23"))
        eaux_vives = next(row for row in rows if row[0] == "230000531")
        assert eaux_vives[:3] == ["230000531", "230000515", "EHPAD LES EAUX VIVES"]

    def test_csv_to_stdout(self, two_departements):
        out = io.StringIO()
        call_command("eligibility_report", "--departement", "23", "--format", "csv", stdout=out)
        assert out.getvalue().startswith("\ufefffiness_et;finess_ej;name;")

    def test_xlsx(self, two_departements, tmp_path):
        output = tmp_path / "rapport.xlsx"
        call_command("eligibility_report", "--departement", "23", "--format", "xlsx", "--output", str(output))
        workbook = load_workbook(output, read_only=True)
        try:
            values = [list(row) for row in workbook["Éligibilité"].iter_rows(values_only=True)]
        finally:
            workbook.close()
        assert values[0] == list(REPORT_COLUMNS)
        assert len(values) - 1 == len(eligibility_report_rows(departement="23"))

    def test_xlsx_needs_an_output_file(self, two_departements):
        with pytest.raises(CommandError, match="--output"):
            call_command("eligibility_report", "--departement", "23", "--format", "xlsx")

    @pytest.mark.parametrize(
        ("arguments", "message"),
        [
            ([], "Indiquez un territoire"),
            (["--departement", "99"], "Département inconnu"),
            (["--departement", "23", "--region", "76"], "n'appartient pas à la région 76"),
            (["--region", "99"], "Région inconnue"),
        ],
    )
    def test_bad_territory(self, arguments, message):
        with pytest.raises(CommandError, match=message):
            call_command("eligibility_report", *arguments)

    def test_overseas_departement_written_as_finess_does(self, finess_dir):
        finess_import([finess_dir / "etalab-cs1100502-stock-20260512-0339_excerpt.csv"])
        out = io.StringIO()
        call_command("eligibility_report", "--departement", "9C", stdout=out)
        rows = json.loads(out.getvalue())
        assert [row["finess_et"] for row in rows] == ["970302287"]  # the EHPAD; the CH is out of scope
