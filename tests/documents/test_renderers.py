import io
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from openpyxl import load_workbook

from documents import renderers
from documents.registry import Column, Sheet
from documents.renderers import FORMAT_EUR, FORMAT_PERCENT, RefusedURLError


def pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def pdf_info(content: bytes, tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "info.pdf"
    path.write_bytes(content)
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in out.splitlines())}


PAGE = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Essai</title>
<style>@font-face {{ font-family: "DejaVu Sans"; src: url("fonts/DejaVuSans.ttf"); }}
html {{ font-family: "DejaVu Sans"; }}</style></head><body><h1>Essai</h1>{body}</body></html>"""


class TestLocalOnlyFetcher:
    def test_static_font_is_served(self):
        url = renderers.print_base_url() + "fonts/DejaVuSans.ttf"
        response = renderers.local_url_fetcher().fetch(url)
        assert response.read(4) == b"\x00\x01\x00\x00"

    @pytest.mark.parametrize(
        "url",
        [
            "http://example.org/logo.png",
            "https://127.0.0.1/secret",
            "ftp://example.org/x",
            "file:///etc/passwd",
            "file://otherhost/etc/passwd",
            "data:text/plain,hello",
        ],
    )
    def test_non_local_urls_are_refused(self, url):
        with pytest.raises(RefusedURLError):
            renderers.local_url_fetcher().fetch(url)

    def test_path_traversal_out_of_static_is_refused(self):
        url = renderers.print_base_url() + "fonts/../../manage.py"
        assert (Path(settings.BASE_DIR) / "manage.py").is_file()
        with pytest.raises(RefusedURLError):
            renderers.local_url_fetcher().fetch(url)

    def test_rendering_never_calls_the_network_nor_reads_other_files(self, tmp_path):
        hits = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                hits.append(self.path)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        server = HTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            port = server.server_address[1]
            body = (
                f'<img src="http://127.0.0.1:{port}/pixel.png" alt="">'
                f'<link rel="stylesheet" href="http://127.0.0.1:{port}/style.css">'
                '<img src="file:///etc/passwd" alt=""><p>Texte</p>'
            )
            rendered = renderers.html_to_pdf(PAGE.format(body=body))
        finally:
            server.shutdown()
            server.server_close()
        assert hits == []
        assert rendered.content.startswith(b"%PDF")
        assert "root:" not in pdf_text(rendered.content, tmp_path)


class TestPdf:
    def test_a_pdf_with_embedded_fonts_and_pdf_ua_metadata(self, tmp_path):
        rendered = renderers.html_to_pdf(PAGE.format(body="<p>Élément accentué : ÀÉÎÕÜ œ €</p>"))
        assert rendered.content.startswith(b"%PDF")
        assert rendered.page_count == 1
        assert rendered.sha256 and rendered.size == len(rendered.content)
        info = pdf_info(rendered.content, tmp_path)
        assert info["Pages"] == "1"
        assert info["Title"] == "Essai"
        assert info["Tagged"] == "yes"
        fonts = subprocess.run(
            ["pdffonts", str(tmp_path / "info.pdf")], check=True, capture_output=True, text=True
        ).stdout
        assert "DejaVu-Sans" in fonts and " yes yes yes " in fonts  # embedded, subset, unicode map
        assert "Élément accentué : ÀÉÎÕÜ œ €" in pdf_text(rendered.content, tmp_path)

    def test_progress_is_reported_during_layout(self):
        seen = []
        renderers.html_to_pdf(PAGE.format(body="<p>x</p>" * 400), progress=lambda percent, step: seen.append(step))
        assert any(step.startswith("Mise en page") or step == "Écriture du PDF" for step in seen)


class TestXlsx:
    def test_workbook_with_french_formats_bold_frozen_header_and_properties(self):
        sheets = [
            Sheet(
                name="Charges",
                columns=[Column("Poste", 30), Column("Montant", 16, FORMAT_EUR), Column("Part", 10, FORMAT_PERCENT)],
                rows=[("Direction", 12345.67, 0.25)],
            ),
            Sheet(name="Vide", columns=[Column("A")], rows=[]),
        ]
        rendered = renderers.render_xlsx(sheets=sheets, title="Répartition", creator="gtsms — test")
        assert rendered.page_count is None and rendered.format == "xlsx"
        workbook = load_workbook(io.BytesIO(rendered.content))
        assert workbook.sheetnames == ["Charges", "Vide"]
        sheet = workbook["Charges"]
        assert sheet.freeze_panes == "A2"
        assert sheet["A1"].font.bold
        assert sheet["B2"].number_format == '#,##0.00 "€"'
        assert sheet["C2"].number_format == "0.00 %"
        assert sheet.column_dimensions["A"].width == 30
        assert workbook.properties.title == "Répartition"
        assert workbook.properties.creator == "gtsms — test"
