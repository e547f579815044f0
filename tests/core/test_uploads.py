"""One upload validator (core/uploads.py): size, type by content, normalised name, generated storage name."""

import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from core.uploads import UploadType, content_type_of, display_name, upload_check, upload_store


ET23 = "etalab-cs1100507-stock-20210108-0427_dep23_reconstructed.csv"
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def xlsx_bytes() -> bytes:
    workbook = Workbook()
    workbook.active["A1"] = "FINESS"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(content: bytes, name="fichier.csv", content_type="text/csv"):
    return SimpleUploadedFile(name, content, content_type=content_type)


class TestTypeByContent:
    def test_real_finess_extract_is_text(self, finess_dir):
        assert content_type_of(upload((finess_dir / ET23).read_bytes())) == UploadType.TEXT

    def test_pdf_and_xlsx(self):
        assert content_type_of(upload(PDF, "x.csv")) == UploadType.PDF
        assert content_type_of(upload(xlsx_bytes(), "x.pdf")) == UploadType.XLSX

    @pytest.mark.parametrize(
        "content",
        [b"\x89PNG\r\n\x1a\n\x00\x00", b"PK\x03\x04not a workbook", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"a\x01b"],
    )
    def test_other_content_is_none_of_ours(self, content):
        assert content_type_of(upload(content)) is None

    def test_the_name_and_declared_type_do_not_count(self):
        disguised = upload(PDF, "extrait-finess.csv", content_type="text/csv")
        with pytest.raises(ValidationError) as error:
            upload_check(disguised, types=(UploadType.TEXT,))
        assert error.value.messages == [
            "Le fichier « extrait-finess.csv » n'est pas du type attendu (fichier texte, CSV ou JSON) : son contenu "
            "est celui d'un document PDF. Le nom ou l'extension du fichier ne comptent pas."
        ]
        assert upload_check(upload(b"nofinessej;rs\n", "photo.png", "image/png"), types=(UploadType.TEXT,))

    def test_the_file_is_read_again_from_its_start(self):
        checked = upload(xlsx_bytes(), "classeur.xlsx")
        assert upload_check(checked, types=(UploadType.XLSX,)) == UploadType.XLSX
        assert checked.read(4) == b"PK\x03\x04"


class TestSize:
    def test_refusal_names_the_limit(self, settings):
        settings.UPLOAD_MAX_BYTES = 1024
        with pytest.raises(ValidationError) as error:
            upload_check(upload(b"x" * 2048, "gros.csv"), types=(UploadType.TEXT,))
        assert error.value.messages == [
            "Le fichier « gros.csv » est trop volumineux (2,0\xa0Kio) : 1,0\xa0Kio au plus."
        ]

    def test_a_form_may_set_its_own_limit(self):
        with pytest.raises(ValidationError) as error:
            upload_check(upload(b"x" * 11), types=(UploadType.TEXT,), max_bytes=10)
        assert error.value.messages[0].endswith(": 10\xa0octets au plus.")
        assert upload_check(upload(b"x" * 10), types=(UploadType.TEXT,), max_bytes=10) == UploadType.TEXT

    def test_empty_file(self):
        with pytest.raises(ValidationError, match=r"« vide\.csv » est vide"):
            upload_check(upload(b"", "vide.csv"), types=(UploadType.TEXT,))


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("C:\\Users\\x\\extrait.csv", "extrait.csv"),
        ("../../etc/passwd", "passwd"),
        ("a\x00b\nc.csv", "abc.csv"),
        ("  deux   espaces .csv ", "deux espaces .csv"),
        ("", "fichier"),
        ("é" * 300 + ".csv", "é" * 200),
    ],
)
def test_display_name_is_normalised(name, shown):
    assert display_name(name) == shown


def test_stored_under_a_generated_name_through_the_storage(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    item = upload(b"nofinessej;rs\n", "../../../etc/cron.d/evil.csv")
    stored = upload_store(item, folder="finess", type=UploadType.TEXT)
    assert re.fullmatch(r"finess/[0-9a-f]{32}\.txt", stored.storage_name)
    assert stored.name == "evil.csv" and stored.size == 14
    assert stored.sha256 == "507f8e152f098cd1feaeadcc7e6cc112c15c0aaaefe5d894378782a63f826b76"
    with default_storage.open(stored.storage_name, "rb") as handle:
        assert handle.read() == b"nofinessej;rs\n"
    assert not (tmp_path.parent / "etc").exists()
