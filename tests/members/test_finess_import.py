"""FINESS import service (members/finess/importer.py) on the real extracts of data/finess."""

import datetime
import json
from decimal import Decimal
from unittest.mock import ANY

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.enums import JournalAction
from core.models import JournalEntry
from members.finess.importer import FinessFileError, finess_import
from members.finess.parsing import FileKind, detect
from members.models import Establishment, LegalEntity


pytestmark = pytest.mark.django_db

ET23 = "etalab-cs1100507-stock-20210108-0427_dep23_reconstructed.csv"
ET48 = "etalab-cs1100507-stock-20210108-0427_dep48_reconstructed.csv"
EJ23 = "etalab_stock_ej_20201231_dep23.csv"
EJ48 = "etalab_stock_ej_20201231_dep48.csv"
EXCERPT = "etalab-cs1100502-stock-20260512-0339_excerpt.csv"
FLUX = "sample-finess-structures-journalier-20260309.json"


def counts(**overrides):
    base = {"read": 0, "created": 0, "updated": 0, "unchanged": 0, "closed": 0, "rejected": 0, "errors": []}
    base |= {"notes": [], "pending_closures": []}
    return base | overrides


def write_variant(src, dst, encoding, edit):
    """Copy a real extract line by line (same encoding and line ends), with ``edit`` applied to its lines."""
    with open(src, encoding=encoding, newline="") as handle:
        lines = handle.read().splitlines(keepends=True)
    with open(dst, "w", encoding=encoding, newline="") as handle:
        handle.writelines(edit(lines))
    return dst


class TestRealDepartements:
    def test_dep23_counts(self, finess_dir):
        result = finess_import([finess_dir / EJ23, finess_dir / ET23])
        assert result.as_dict() == counts(read=423, created=423)
        assert LegalEntity.objects.count() == 160
        assert Establishment.objects.count() == 263
        assert set(Establishment.objects.values_list("departement_id", flat=True)) == {"23"}

    def test_dep48_counts(self, finess_dir):
        result = finess_import([finess_dir / EJ48, finess_dir / ET48])
        assert result.as_dict() == counts(read=436, created=436)
        assert Establishment.objects.filter(departement_id="48").count() == 274
        # Every EJ used by the ET file is in the EJ file: no placeholder.
        assert not LegalEntity.objects.filter(name__endswith="(non importée)").exists()

    def test_files_are_imported_legal_entities_first_whatever_the_order_given(self, finess_dir):
        result = finess_import([finess_dir / ET23, finess_dir / EJ23])
        assert [summary.kind for summary in result.files] == [FileKind.EJ_STOCK, FileKind.ETALAB_ET]
        assert LegalEntity.objects.count() == 160

    def test_second_import_changes_nothing(self, finess_dir):
        paths = [finess_dir / EJ23, finess_dir / ET23]
        finess_import(paths)
        stamps = dict(Establishment.objects.values_list("finess", "updated_at"))
        events = Establishment.pgh_event_model.objects.count()
        with CaptureQueriesContext(connection) as queries:
            result = finess_import(paths)
        assert result.as_dict() == counts(read=423, unchanged=423)
        writes = [
            q["sql"] for q in queries if q["sql"].startswith(("INSERT", "UPDATE", "DELETE")) and "members_" in q["sql"]
        ]
        assert writes == []
        assert dict(Establishment.objects.values_list("finess", "updated_at")) == stamps
        assert Establishment.pgh_event_model.objects.count() == events

    def test_one_query_per_batch_not_per_row(self, finess_dir):
        finess_import([finess_dir / EJ23])
        with CaptureQueriesContext(connection) as queries:
            finess_import([finess_dir / ET23])
        # savepoint/context statements, one EJ lookup + one ET lookup + one insert, the closing
        # check, the journal: a few dozen at most for 263 rows.
        assert len(queries) < 30

    def test_stored_fields(self, finess_dir):
        finess_import([finess_dir / EJ23, finess_dir / ET23])
        et = Establishment.objects.select_related("legal_entity").get(finess="230000010")
        assert et.legal_entity.finess == "230000465"
        assert et.name == "CENTRE ACTION MEDICO-SOC PRECOCE"
        assert (et.street_number, et.street_type, et.street_name) == ("20", "R", "PIERRE MENDES FRANCE")
        assert et.routing_line == "23000 GUERET" and et.postal_code == "23000" and et.city == "GUERET"
        assert (et.category_code, et.aggregate_code, et.siret, et.ape_code) == (
            "190",
            "4106",
            "77799798200080",
            "8891B",
        )
        assert et.opened_on == datetime.date(1981, 11, 1)
        assert et.finess_updated_on == datetime.date(2019, 6, 14)
        assert (et.coord_x, et.coord_y) == (Decimal("612960.30"), Decimal("6562685.20"))
        assert et.coord_source == "1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93"
        assert et.latitude is None  # the etalab extract gives Lambert 93 only
        ej = et.legal_entity
        assert (ej.statut_code, ej.departement_code, ej.commune_code) == ("61", "23", "23096")
        assert ej.long_name == "ASSOC. DEPARTEMENTALE DES PUPILLES DE L'ENSEIGNEMENT PUBLIC"
        assert (ej.created_on, ej.finess_updated_on) == (datetime.date(2001, 1, 1), datetime.date(2015, 3, 31))
        assert (ej.siren, ej.ape_code, ej.phone) == ("777997982", "8891B", "05 55 51 02 14")

    def test_encoding_is_detected(self, finess_dir):
        assert detect(finess_dir / ET23).encoding == "cp1252"
        assert detect(finess_dir / ET48).encoding.startswith("utf-8")
        finess_import([finess_dir / ET23, finess_dir / ET48])
        assert Establishment.objects.get(finess="230000010").category_label == (
            "Centre Action Médico-Sociale Précoce (C.A.M.S.P.)"
        )
        assert Establishment.objects.get(finess="480002658").name == "ASSOCIATION LA RENOUÉE"

    def test_quoted_fields_with_doubled_quotes(self, finess_dir):
        finess_import([finess_dir / EJ23])
        ej = LegalEntity.objects.get(finess="230000135")
        assert ej.name == "ETABLISSEMENT THERMAL"
        assert ej.long_name == 'ETABLISSEMENT THERMAL "LES THERMES" EVAUX-LES-BAINS'

    def test_eligibility_is_stored(self, finess_dir):
        finess_import([finess_dir / EJ23, finess_dir / ET23, finess_dir / EJ48, finess_dir / ET48])
        rows = Establishment.objects.values_list("finess", "eligibility", "eligibility_rule")
        got = {finess: (eligibility, rule) for finess, eligibility, rule in rows}
        assert got["230000283"] == ("MANDATORY", "MANDATORY_AUTONOMOUS_PUBLIC_EHPAD")
        assert got["230000341"] == ("MANDATORY", "MANDATORY_AUTONOMOUS_PUBLIC_HOME_SERVICE")
        assert got["480780394"] == ("MANDATORY", "MANDATORY_AUTONOMOUS_PUBLIC_EHPAD")
        assert got["230000531"] == ("OPTIONAL", "OPTIONAL_CCAS_CIAS")
        assert got["480780089"] == ("OPTIONAL", "OPTIONAL_CCAS_CIAS")
        assert got["230000242"] == ("OPTIONAL", "OPTIONAL_HOSPITAL_MANAGED")
        assert got["230000069"] == ("PARTNER_ONLY", "PARTNER_ONLY_PRIVATE")
        assert got["230000820"] == ("OUT_OF_SCOPE", "OUT_OF_SCOPE")
        assert not Establishment.objects.filter(eligibility="").exists()
        # dép. 23 + 48: 32 + 28 EHPAD, of which the autonomous public ones are mandatory.
        assert Establishment.objects.filter(category_code="500").count() == 60
        assert Establishment.objects.filter(eligibility="MANDATORY", category_code="500").count() == 17

    def test_unknown_legal_entity_gets_a_placeholder_filled_later(self, finess_dir):
        result = finess_import([finess_dir / ET23])
        assert result.as_dict()["created"] == 263
        assert result.files[0].placeholders == 151
        placeholder = LegalEntity.objects.get(finess="230002669")
        assert placeholder.name == "Entité juridique 230002669 (non importée)"
        ehpad = Establishment.objects.get(finess="230000283")
        assert (ehpad.eligibility, ehpad.eligibility_rule) == ("", "STATUT_UNKNOWN")

        result = finess_import([finess_dir / EJ23])
        assert result.as_dict() == counts(read=160, created=9, updated=151)
        assert result.files[0].eligibility_recomputed == 263
        ehpad.refresh_from_db()
        assert (ehpad.eligibility, ehpad.eligibility_rule) == ("MANDATORY", "MANDATORY_AUTONOMOUS_PUBLIC_EHPAD")
        assert LegalEntity.objects.get(finess="230002669").name == "EHPAD DE BELLEGARDE-EN-MARCHE"

    def test_journal_records_one_entry_per_import(self, finess_dir):
        finess_import([finess_dir / EJ23, finess_dir / ET23])
        entry = JournalEntry.objects.get(action=JournalAction.FINESS_IMPORTED)
        assert entry.facts["read"] == 423 and entry.facts["created"] == 423
        assert [f["name"] for f in entry.facts["files"]] == [EJ23, ET23]


class TestVerbatimExcerpt:
    def test_overseas_departements_and_quotes(self, finess_dir):
        result = finess_import([finess_dir / EXCERPT])
        assert result.as_dict() == counts(notes=[ANY], read=14, created=14)
        # The published excerpt kept the line of its full extract: it closes nothing, and says why.
        assert "annonce 111 établissements mais le fichier en contient 14" in result.as_dict()["notes"][0]
        by_finess = {et.finess: et for et in Establishment.objects.all()}
        assert by_finess["970102018"].departement_id == "971"  # 9A
        assert by_finess["970210126"].departement_id == "972"  # 9B
        assert by_finess["970302287"].departement_id == "973"  # 9C
        assert by_finess["970400024"].departement_id == "974"  # 9D
        assert by_finess["980501506"].departement_id == "976"  # 9F
        assert by_finess["980600027"].departement_id is None  # 9J Wallis-et-Futuna: not a département
        assert by_finess["970102018"].commune_code == "97123"
        assert by_finess["980600027"].commune_code == "98613"
        assert by_finess["980501506"].name == 'LIEU DE VIE "MAVOUNA MEMA 1"'
        assert by_finess["980501506"].long_name == 'LIEU DE VIE ET D\'ACCUEIL "MAVOUNA MEMA 1"'
        assert by_finess["970210126"].name == "CMPP  INTERSECTORIEL ALOES"  # doubled space kept
        assert by_finess["970409645"].street_complement == "C"
        # The EHPAD of the CH de Cayenne: its EJ is not in our files, so the statut is unknown.
        ehpad = by_finess["970302287"]
        assert ehpad.legal_entity.finess == "970302022"
        assert (ehpad.category_code, ehpad.mft_code) == ("500", "40")
        assert (ehpad.eligibility, ehpad.eligibility_rule) == ("", "STATUT_UNKNOWN")
        assert by_finess["970300026"].legal_entity_id == ehpad.legal_entity_id
        # No geolocation section in cs1100502: coordinates are left as they are.
        assert ehpad.coord_x is None

    def test_excerpt_does_not_blank_coordinates_of_a_geolocated_import(self, finess_dir, tmp_path):
        finess_import([finess_dir / EXCERPT])
        Establishment.objects.filter(finess="970302287").update(coord_x=Decimal("1.00"))
        result = finess_import([finess_dir / EXCERPT])
        assert result.as_dict()["unchanged"] == 14
        assert Establishment.objects.get(finess="970302287").coord_x == Decimal("1.00")


class TestJsonFlux:
    def test_counts_and_fields(self, finess_dir):
        result = finess_import([finess_dir / FLUX])
        assert result.as_dict() == counts(read=50, created=50)
        assert LegalEntity.objects.count() == 23
        assert Establishment.objects.count() == 27

    def test_entities(self, finess_dir):
        finess_import([finess_dir / FLUX])
        divonne = LegalEntity.objects.get(finess="010000016")
        assert divonne.statut_code == "21"
        assert divonne.ape_code == "8710A"
        assert divonne.routing_line == "01220 DIVONNE LES BAINS"
        assert (divonne.closed, divonne.closed_on) == (True, datetime.date(2019, 3, 3))
        assert divonne.departement_code == "01"
        assert LegalEntity.objects.get(finess="010000164").name == "POLYCLINIQUE D'AMBERIEU"  # trailing spaces
        assert LegalEntity.objects.get(finess="980600019").departement_code == "986"

    def test_establishments(self, finess_dir):
        finess_import([finess_dir / FLUX])
        fontelune = Establishment.objects.get(finess="010780906")
        assert fontelune.legal_entity.finess == "010000339"
        assert fontelune.departement_id == "01"
        assert (fontelune.latitude, fontelune.longitude) == (Decimal("45.968606"), Decimal("5.350865"))
        # The sample gives the Lambert 93 axes the other way round; stored as easting X, northing Y.
        assert (fontelune.coord_x, fontelune.coord_y) == (Decimal("882017.28"), Decimal("6543697.24"))
        assert (fontelune.eligibility, fontelune.eligibility_rule) == (
            "MANDATORY",
            "MANDATORY_AUTONOMOUS_PUBLIC_EHPAD",
        )
        assert fontelune.closed is False  # the EGE is active though its EJ closed on 2026-03-02
        urfe = Establishment.objects.get(finess="010780914")
        assert urfe.eligibility == "MANDATORY"
        ferney = Establishment.objects.get(finess="010790061")
        assert (ferney.closed, ferney.closed_on) == (True, datetime.date(1994, 9, 2))
        assert Establishment.objects.get(finess="980600027").departement_id is None
        assert Establishment.objects.get(finess="010780575").eligibility == "PARTNER_ONLY"  # 60, IJS (195)

    def test_excerpt_and_flux_share_an_establishment(self, finess_dir):
        # HOPITAL DE SIA (980600027) is in both; the JSON flux brings its EJ's statut (10).
        finess_import([finess_dir / EXCERPT, finess_dir / FLUX])
        sia = Establishment.objects.get(finess="980600027")
        assert sia.legal_entity.statut_code == "10"
        assert sia.eligibility == "OUT_OF_SCOPE"
        assert sia.category_label == "Centre Hospitalier (C.H.)"  # from the excerpt, not blanked by the flux

    def test_second_import_changes_nothing(self, finess_dir):
        finess_import([finess_dir / FLUX])
        assert finess_import([finess_dir / FLUX]).as_dict() == counts(read=50, unchanged=50)

    def test_unexpected_structure_is_rejected_not_fatal(self, finess_dir, tmp_path):
        data = json.loads((finess_dir / FLUX).read_text(encoding="utf-8"))
        data["pmej"][1]["ege"][0]["adresse"] = "pas une liste"
        data["pmej"].insert(0, "pas un objet")
        path = tmp_path / "flux.json"
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        result = finess_import([path]).as_dict()
        assert (result["read"], result["rejected"], result["created"]) == (51, 2, 49)
        assert all("structure inattendue" in error["reason"] for error in result["errors"])


class TestBadInput:
    def test_malformed_lines_are_rejected_and_the_rest_imported(self, finess_dir, tmp_path):
        def edit(lines):
            out = list(lines)
            # line 3: invalid FINESS key; line 4: a cell missing; line 5: impossible date.
            out[2] = out[2].replace("structureet;480000033;", "structureet;480000034;", 1)
            out[3] = out[3].replace(";;", ";", 1)
            out[4] = out[4].replace(";2016-04-19;", ";2016-02-30;", 1)
            return out

        source = finess_dir / ET48
        lines = source.read_text(encoding="utf-8").splitlines()
        assert lines[2].startswith("structureet;480000033;")
        bad = write_variant(source, tmp_path / "et48.csv", "utf-8", edit)
        result = finess_import([finess_dir / EJ48, bad]).as_dict()
        assert result["rejected"] == 3
        assert result["read"] == 162 + 274
        assert result["created"] == 162 + 271
        errors = result["errors"]
        assert [e["line"] for e in errors] == [3, 4, 5]
        assert "clé de contrôle" in errors[0]["reason"]
        assert "nombre de colonnes inattendu" in errors[1]["reason"]
        assert "date invalide" in errors[2]["reason"]
        assert all(e["file"] == "et48.csv" for e in errors)  # several files: the file is named
        assert Establishment.objects.count() == 271

    def test_errors_are_capped_at_100(self, finess_dir, tmp_path):
        def edit(lines):
            return [line.replace("structureet;", "structureet;X", 1) for line in lines]

        bad = write_variant(finess_dir / ET23, tmp_path / "et23.csv", "cp1252", edit)
        result = finess_import([bad]).as_dict()
        assert result["rejected"] == 263
        assert len(result["errors"]) == 100
        assert "file" not in result["errors"][0]

    def test_duplicate_finess_in_a_file(self, finess_dir, tmp_path):
        def edit(lines):
            return [*lines[:3], lines[1], *lines[3:]]

        bad = write_variant(finess_dir / EXCERPT, tmp_path / "dup.csv", "utf-8", edit)
        result = finess_import([bad]).as_dict()
        assert result["rejected"] == 1
        assert "en double" in result["errors"][0]["reason"]

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (b"", "est vide"),
            (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "n'est pas un fichier texte"),
            ("nom;prénom\nDupont;Jean\n".encode(), "n'est pas un extrait FINESS reconnu"),
            (b'{"hello": "world"}', "n'est pas un extrait FINESS reconnu"),
            (b'{\n  "pmej": 3\n}', "n'a pas de liste"),
            (b'{\n  "pmej": [\n', "n'est pas un JSON lisible"),
            (b"nofinessej;rs;autre\n", "colonnes attendues"),
        ],
    )
    def test_file_that_is_not_finess_is_refused_whole(self, finess_dir, tmp_path, content, message):
        other = tmp_path / "autre.csv"
        other.write_bytes(content)
        with pytest.raises(FinessFileError) as error:
            finess_import([finess_dir / EJ23, other])
        assert message in error.value.message
        assert "« autre.csv »" in error.value.message
        assert LegalEntity.objects.count() == 0
        assert not JournalEntry.objects.exists()

    def test_fhir_conversion_is_refused_with_a_clear_message(self, finess_dir):
        with pytest.raises(FinessFileError, match="conversion FHIR"):
            finess_import([finess_dir / "finess-fhir_etab_20210108_dep23.ndjson"])

    def test_readme_is_refused(self, finess_dir):
        with pytest.raises(FinessFileError, match="n'est pas un extrait FINESS"):
            finess_import([finess_dir / "README.md"])


class TestClosing:
    @staticmethod
    def trimmed(finess_dir, tmp_path, *, remove, date=None):
        def edit(lines):
            out = [line for line in lines if f";{remove};" not in line]
            out[0] = out[0].replace(";263;", ";262;")  # the honest count of a full extract
            if date is not None:
                out[0] = out[0].replace("2021-01-08", date)
            return out

        return write_variant(finess_dir / ET23, tmp_path / "et23-trimmed.csv", "cp1252", edit)

    def test_missing_establishment_is_closed_on_the_extract_date(self, finess_dir, tmp_path):
        finess_import([finess_dir / EJ23, finess_dir / ET23, finess_dir / EJ48, finess_dir / ET48])
        trimmed = self.trimmed(finess_dir, tmp_path, remove="230000028", date="2021-02-01")
        result = finess_import([trimmed]).as_dict()
        assert result == counts(read=262, unchanged=262, closed=1)
        closed = Establishment.objects.get(finess="230000028")
        assert (closed.closed, closed.closed_on) == (True, datetime.date(2021, 2, 1))
        # Only dép. 23 was in scope: nothing of dép. 48 is closed, nothing is deleted.
        assert Establishment.objects.filter(closed=True).count() == 1
        assert Establishment.objects.count() == 263 + 274

    def test_an_older_extract_closes_nothing(self, finess_dir, tmp_path):
        finess_import([finess_dir / EJ23, finess_dir / ET23])
        trimmed = self.trimmed(finess_dir, tmp_path, remove="230000028", date="2019-01-01")
        result = finess_import([trimmed])
        assert result.as_dict()["closed"] == 0
        assert "plus ancien que les données déjà importées" in result.files[0].notes[0]
        assert not Establishment.objects.filter(closed=True).exists()

    def test_extract_without_date_closes_nothing(self, finess_dir, tmp_path):
        finess_import([finess_dir / EJ23, finess_dir / ET23])

        def edit(lines):
            return [line for line in lines[1:] if ";230000028;" not in line]

        undated = write_variant(finess_dir / ET23, tmp_path / "undated.csv", "cp1252", edit)
        assert finess_import([undated]).as_dict()["closed"] == 0

    def test_rejected_line_does_not_close_its_establishment(self, finess_dir, tmp_path):
        finess_import([finess_dir / EJ23, finess_dir / ET23])

        def edit(lines):
            out = [line.replace("2021-01-08", "2021-02-01") for line in lines]
            return [line.replace(";2019-06-14;", ";2019-99-14;") if ";230000010;" in line else line for line in out]

        bad = write_variant(finess_dir / ET23, tmp_path / "bad-date.csv", "cp1252", edit)
        result = finess_import([bad]).as_dict()
        assert (result["read"], result["rejected"], result["closed"]) == (263, 1, 0)

    def test_reopened_only_by_an_extract_dated_after_the_closing(self, finess_dir, tmp_path):
        finess_import([finess_dir / EJ23, finess_dir / ET23])
        finess_import([self.trimmed(finess_dir, tmp_path, remove="230000028", date="2021-02-01")])
        # The original extract (2021-01-08) is older than the closing: the establishment stays closed.
        assert finess_import([finess_dir / ET23]).as_dict()["updated"] == 0
        assert Establishment.objects.get(finess="230000028").closed is True

        def edit(lines):
            return [line.replace("2021-01-08", "2021-03-01", 1) if i == 0 else line for i, line in enumerate(lines)]

        newer = write_variant(finess_dir / ET23, tmp_path / "newer.csv", "cp1252", edit)
        assert finess_import([newer]).as_dict()["updated"] == 1
        reopened = Establishment.objects.get(finess="230000028")
        assert (reopened.closed, reopened.closed_on) == (False, None)


class TestUpsertRules:
    def test_changed_row_is_updated_and_older_row_ignored(self, finess_dir, tmp_path):
        finess_import([finess_dir / EXCERPT])

        def renamed(datemaj):
            def edit(lines):
                return [
                    line.replace("CH DE FLEYRIAT;", "CH FLEYRIAT BOURG;").replace(";2020-02-04;", f";{datemaj};")
                    for line in lines
                ]

            return edit

        older = write_variant(finess_dir / EXCERPT, tmp_path / "older.csv", "utf-8", renamed("2019-01-01"))
        assert finess_import([older]).as_dict() == counts(notes=[ANY], read=14, unchanged=14)
        assert Establishment.objects.get(finess="010000024").name == "CH DE FLEYRIAT"

        newer = write_variant(finess_dir / EXCERPT, tmp_path / "newer.csv", "utf-8", renamed("2026-01-01"))
        assert finess_import([newer]).as_dict() == counts(notes=[ANY], read=14, updated=1, unchanged=13)
        fleyriat = Establishment.objects.get(finess="010000024")
        assert fleyriat.name == "CH FLEYRIAT BOURG"
        assert fleyriat.finess_updated_on == datetime.date(2026, 1, 1)

    def test_category_change_recomputes_eligibility(self, finess_dir, tmp_path):
        finess_import([finess_dir / EJ23, finess_dir / ET23])

        def edit(lines):
            # EHPAD LES BOUQUETS becomes a résidence autonomie in a newer extract.
            out = [line.replace("2021-01-08", "2021-02-01", 1) for line in lines]
            return [
                line.replace(
                    ";500;Etablissement d'hébergement pour personnes âgées dépendantes;", ";202;Résidences autonomie;"
                ).replace(";2017-", ";2021-")
                if ";230000283;" in line
                else line
                for line in out
            ]

        changed = write_variant(finess_dir / ET23, tmp_path / "changed.csv", "cp1252", edit)
        finess_import([changed])
        et = Establishment.objects.get(finess="230000283")
        assert et.category_code == "202"
        assert (et.eligibility, et.eligibility_rule) == ("OPTIONAL", "OPTIONAL_AUTONOMOUS_PUBLIC_ELDERLY_OTHER")


class TestOtherLayouts:
    def test_older_layout_with_header_line(self, tmp_path):
        # The header and two lines of the older layout as published in jdflaugergues/api.pharmacieplus
        # (app/importdata/importdata.js): a spreadsheet had dropped leading zeros and mangled SIRETs.
        sample = (
            "finess;nofinesset;nofinessej;rs;rslongue;complrs;compldistrib;numvoie;typvoie;voie;compvoie;lieuditbp;"
            "commune;departement;libdepartement;ligneacheminement;telephone;telecopie;categetab;libcategetab;"
            "categagretab;libcategagretab;siret;codeape;codemft;libmft;codesph;libsph;dateouv;dateautor;datemaj;\n"
            "structureet;010000024;010780054;CH FLEYRIAT;;;;900;RTE;DE PARIS;;BP 401 VIRIAT;53;1;AIN;"
            "01012 BOURG EN BRESSE CEDEX;474454647;474454114;355;Centre Hospitalier (C.H.);1102;Centres Hospitaliers;"
            "2,601E+13;8610Z;3;ARS établissements Publics de santé dotation globale;1;Etablissement public de santé;"
            "13/02/1979;13/02/1979;04/09/2013;\n"
            "structureet;010002301;010002293;PHARMACIE AA VOLLENWEIDER PATRICE;;;;41;R;ALEXANDRE BERARD;;BP 107;4;1;"
            "AIN;01500 AMBERIEU EN BUGEY;474350415;;620;Pharmacie d'Officine;3201;Commerce de Biens à Usage Médicaux;"
            "3,31254E+13;;1;Etablissement Tarif Libre;;;12/06/1989;07/04/1989;27/03/2007;\n"
            "geolocalisation;010002301;882538.9;6542885.8;1;ATLASANTE;100;IGN;BD_ADRESSE;V2.1;LAMBERT_93;2016-02-29\n"
        )
        path = tmp_path / "ancien.csv"
        path.write_text(sample, encoding="cp1252")
        assert detect(path).kind == FileKind.ET_HEADER
        assert finess_import([path]).as_dict() == counts(read=2, created=2)
        fleyriat = Establishment.objects.get(finess="010000024")
        assert fleyriat.departement_id == "01"
        assert fleyriat.commune_code == "01053"
        assert fleyriat.siret == ""  # "2,601E+13" is not a SIRET
        assert fleyriat.opened_on == datetime.date(1979, 2, 13)
        assert fleyriat.finess_updated_on == datetime.date(2013, 9, 4)
        pharmacy = Establishment.objects.get(finess="010002301")
        assert (pharmacy.coord_x, pharmacy.coord_y) == (Decimal("882538.90"), Decimal("6542885.80"))
        assert pharmacy.coord_source == "1,ATLASANTE,100,IGN,BD_ADRESSE,V2.1,LAMBERT_93"

    def test_cs1100501_legal_entity_lines(self, finess_dir, tmp_path):
        # No published cs1100501 line was available: these lines are written in the notice's column
        # order from real dép. 23 rows of the EJ stock (see members/finess/parsing.py).
        lines = [
            "finess;etalab;2;2026-05-12",
            "structureej;230002669;EHPAD DE BELLEGARDE-EN-MARCHE;EHPAD DE BELLEGARDE-EN-MARCHE;;7;R;DES BOUQUETS;;;;"
            "020;23190 BELLEGARDE EN MARCHE;23;CREUSE;0555676111;21;Etb.Social Communal;;;262326721;8710A;2004-12-01;",
            "structureej;230000515;CCAS DE MARSAC;CENTRE COMMUNAL D'ACTION SOCIALE DE MARSAC;;6;R;DE LA MAIRIE;;"
            "MAIRIE;;124;23210 MARSAC;23;CREUSE;0555626132;17;C.C.A.S.;;;262312408;8899B;2001-01-01;",
            "structureej;230000XXX;LIGNE INCOMPLETE;;",
        ]
        path = tmp_path / "ej.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        found = detect(path)
        assert (found.kind, found.extract_date) == (FileKind.ETALAB_EJ, datetime.date(2026, 5, 12))
        result = finess_import([path]).as_dict()
        assert (result["created"], result["rejected"]) == (2, 1)
        assert result["errors"][0]["line"] == 4
        bouquets = LegalEntity.objects.get(finess="230002669")
        assert (bouquets.statut_code, bouquets.commune_code, bouquets.ape_code) == ("21", "23020", "8710A")
        assert bouquets.routing_line == "23190 BELLEGARDE EN MARCHE"
        assert LegalEntity.objects.get(finess="230000515").distribution_complement == "MAIRIE"

    def test_progress_is_reported_in_french(self, finess_dir):
        seen = []
        finess_import([finess_dir / EJ23, finess_dir / ET23], progress=lambda p, m: seen.append((p, m)))
        percents = [p for p, _ in seen]
        assert percents == sorted(percents)
        assert percents[-1] == 100
        assert any("Établissements" in m for _, m in seen)
        assert seen[-1][1].startswith(ET23) and "terminé" in seen[-1][1]

    def test_result_as_dict_is_json(self, finess_dir):
        result = finess_import([finess_dir / EXCERPT])
        assert json.loads(json.dumps(result.as_dict())) == result.as_dict()
