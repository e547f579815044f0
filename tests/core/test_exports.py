"""Exports that cannot run code (issue 17 §2): core.exports.safe_cell in every CSV and XLSX writer.

Hostile names are put into real FINESS rows (data/finess), imported, then read back from every
export: the eligibility report (CSV and XLSX) and every XLSX document kind of the registry.
"""

import csv
import datetime
import io
import json
import pathlib
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from accounts.enums import Role
from core.exports import FORMULA_STARTS, csv_writer, safe_cell
from documents import registry
from documents.models import Document
from documents.registry import Column, Sheet
from documents.renderers import FORMAT_DATE, FORMAT_NUMBER, render_xlsx
from members.finess.importer import finess_import
from members.models import Establishment, LegalEntity
from tests.members.factories import GroupementFactory, MembershipFactory, MembershipTermsFactory


ET23 = "etalab-cs1100507-stock-20210108-0427_dep23_reconstructed.csv"
EJ23 = "etalab_stock_ej_20201231_dep23.csv"
HOSTILE = {
    # FINESS ET → the name an uploaded file gives it
    "230000010": '=HYPERLINK("https://exemple.invalid/x","clic")',
    "230000028": "+33 1 00 00 00 00",
    "230000036": "-2+3+cmd|' /C calc'!A0",
    "230000044": "@SUM(A1:A9)",
}
MARKUP = "<script>alert('finess')</script> EHPAD"


class TestSafeCell:
    @pytest.mark.parametrize("start", FORMULA_STARTS)
    def test_formula_looking_text_is_prefixed(self, start):
        assert safe_cell(f"{start}1+1") == f"'{start}1+1"

    @pytest.mark.parametrize(
        "value",
        [
            12,
            -12,
            Decimal("-3.50"),
            1.5,
            True,
            None,
            datetime.date(2026, 1, 1),
            datetime.datetime(2026, 1, 1, 8, tzinfo=datetime.UTC),
            "EHPAD LES BOUQUETS",
            "",
            "1-2",
            "a=b",
        ],
    )
    def test_everything_else_is_kept_as_it_is(self, value):
        assert safe_cell(value) == value and type(safe_cell(value)) is type(value)

    def test_no_cell_starts_like_a_formula_and_nothing_is_lost(self):
        # Every first character of the Basic Multilingual Plane, alone and before more text.
        for code in range(0x10000):
            for text in (chr(code), chr(code) + "=1+1;@x"):
                cell = safe_cell(text)
                assert not cell.startswith(FORMULA_STARTS)
                assert cell == text or cell == "'" + text

    def test_csv_writer_rows_and_dicts(self):
        buffer = io.StringIO()
        writer = csv_writer(buffer, fieldnames=["name", "n"])
        writer.writeheader()
        writer.writerow({"name": "=1+1", "n": -4})
        writer.writerow(["@x", Decimal("2.5")])
        assert buffer.getvalue() == "name;n\r\n'=1+1;-4\r\n'@x;2.5\r\n"


def test_render_xlsx_stores_text_never_formulas_and_keeps_numbers_and_dates():
    sheet = Sheet(
        name="Test",
        columns=[
            Column("=Nom"),
            Column("Montant", number_format=FORMAT_NUMBER),
            Column("Date", number_format=FORMAT_DATE),
        ],
        rows=[["=1+1", Decimal("-12.50"), datetime.date(2026, 3, 1)], ["\rCR", -3, None]],
    )
    workbook = load_workbook(io.BytesIO(render_xlsx(sheets=[sheet], title="t").content))
    cells = [cell for row in workbook["Test"].iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert [[cell.value for cell in row] for row in workbook["Test"].iter_rows()] == [
        ["'=Nom", "Montant", "Date"],
        ["'=1+1", -12.5, datetime.datetime(2026, 3, 1)],  # noqa: DTZ001 - openpyxl reads naive datetimes
        ["'\nCR", -3, None],  # XML keeps no bare carriage return: read back as a line feed, still prefixed
    ]
    assert workbook["Test"]["B2"].data_type == "n" and workbook["Test"]["C2"].is_date


def _hostile_extract(finess_dir, tmp_path) -> pathlib.Path:
    """The real dép. 23 extract with the names of a few establishments replaced by hostile ones."""
    with open(finess_dir / ET23, encoding="cp1252", newline="") as handle:
        lines = handle.read().splitlines(keepends=True)
    out = []
    for line in lines:
        cells = line.split(";")
        if cells[0] == "structureet" and cells[1] in HOSTILE:
            cells[3] = HOSTILE[cells[1]]
        elif cells[0] == "structureet" and cells[1] == "230000069":
            cells[3] = MARKUP
        out.append(";".join(cells))
    path = tmp_path / "hostile.csv"
    path.write_text("".join(out), encoding="cp1252", newline="")
    return path


@pytest.fixture
def hostile(db, finess_dir, tmp_path):
    finess_import([finess_dir / EJ23, _hostile_extract(finess_dir, tmp_path)])
    names = dict(Establishment.objects.filter(finess__in=HOSTILE).values_list("finess", "name"))
    assert names == HOSTILE  # the import keeps names as they are: exports neutralise them
    return names


def _no_formula(workbook) -> list[str]:
    return [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]


@pytest.mark.django_db
class TestEveryExport:
    def test_eligibility_report_csv(self, hostile, tmp_path):
        output = tmp_path / "report.csv"
        call_command("eligibility_report", "--departement", "23", "--format", "csv", "--output", str(output))
        with open(output, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle, delimiter=";"))
        names = {row[0]: row[2] for row in rows[1:]}
        listed = [finess for finess in HOSTILE if finess in names]
        assert len(listed) >= 3
        for finess in listed:
            assert names[finess] == "'" + HOSTILE[finess]
        assert not [name for name in names.values() if name.startswith(FORMULA_STARTS)]

    def test_eligibility_report_xlsx(self, hostile, tmp_path):
        output = tmp_path / "report.xlsx"
        call_command("eligibility_report", "--departement", "23", "--format", "xlsx", "--output", str(output))
        workbook = load_workbook(output)
        assert _no_formula(workbook) == []
        names = [row[2] for row in workbook.active.iter_rows(min_row=2, values_only=True)]
        assert not [name for name in names if name.startswith(FORMULA_STARTS)]
        assert any(name.startswith("'=HYPERLINK") for name in names)

    def test_every_xlsx_document_kind(self, hostile, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path / "media"
        groupement = GroupementFactory(name="=GTSMS+Creuse", slug="creuse")
        for finess in ("230000010", "230000028"):
            entity = Establishment.objects.get(finess=finess).legal_entity
            LegalEntity.objects.filter(pk=entity.pk).update(name="@" + entity.name)
            membership = MembershipFactory(groupement=groupement, legal_entity=entity)
            MembershipTermsFactory(membership=membership, voting_rights=Decimal("2"), contribution_share=Decimal(50))
        kinds = [
            spec.kind
            for spec in registry._KINDS.values()
            if spec.format == "xlsx" and not spec.kind.startswith("test_") and spec.is_available_for(groupement)
        ]
        assert "members_list" in kinds
        for kind in kinds:
            out = io.StringIO()
            call_command("generate_document", kind, "--groupement", groupement.slug, "--wait", stdout=out)
            result = json.loads(out.getvalue().strip().splitlines()[-1])
            document = Document.objects.get(pk=result["document"])
            with document.file.open("rb") as handle:
                workbook = load_workbook(io.BytesIO(handle.read()))
            assert _no_formula(workbook) == [], kind
            texts = [
                cell.value for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row
                if isinstance(cell.value, str)
            ]  # fmt: skip
            assert not [text for text in texts if text.startswith(FORMULA_STARTS)], kind
            if kind == "members_list":
                assert any(text.startswith("'@") for text in texts)
                assert any(text.startswith("'=HYPERLINK") for text in texts)
                members = workbook["Membres"]
                assert isinstance(members["F2"].value, datetime.datetime)  # "Admis le" stays a date
                assert members["J2"].value == 2  # voting rights stay a number


@pytest.mark.django_db
def test_pages_escape_markup_of_names_from_finess(hostile, client, user_with_role):
    establishment = Establishment.objects.get(name=MARKUP)
    groupement = GroupementFactory(name="GTSMS Creuse", slug="creuse")
    membership = MembershipFactory(groupement=groupement, legal_entity=establishment.legal_entity)
    client.force_login(user_with_role(Role.GROUPEMENT_DIRECTOR, groupement))
    response = client.get(reverse("members:member_detail", args=["creuse", membership.pk]))
    html = response.content.decode()
    assert "<script>alert('finess')</script>" not in html
    assert "&lt;script&gt;alert(&#x27;finess&#x27;)&lt;/script&gt; EHPAD" in html
    assert MARKUP in BeautifulSoup(html, "html.parser").get_text()


def test_every_writer_goes_through_core_exports():
    """No module writes CSV or XLSX by itself: csv.writer only in core/exports.py, Workbook only in renderers."""
    root = pathlib.Path(__file__).resolve().parents[2]
    # demo/scale_finess.py writes FINESS *input* extracts for the national instance, from real rows: not an
    # export anybody opens in a spreadsheet.
    allowed = {
        "csv.writer(": {"core/exports.py", "demo/scale_finess.py"},
        "csv.DictWriter(": set(),
        "Workbook(": {"documents/renderers.py"},
    }
    found = {needle: set() for needle in allowed}
    for path in root.glob("*/**/*.py"):
        relative = path.relative_to(root).as_posix()
        if relative.startswith((".venv/", "tests/", "var/")):
            continue
        text = path.read_text(encoding="utf-8")
        for needle in allowed:
            if needle in text:
                found[needle].add(relative)
    assert found == allowed
