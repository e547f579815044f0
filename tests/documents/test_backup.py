"""Backup and restore (documents/backup.py, commands backup and restore) of the demo, end to end.

The demo is loaded and committed (a transactional test: pg_dump reads from its own connection), backed
up, then restored by a separate process into a scratch database and a scratch storage folder.
"""

import hashlib
import io
import json
import os
import pathlib
import subprocess
import sys
import uuid

import psycopg
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from documents.backup import storage_names
from documents.models import Document


ROOT = pathlib.Path(__file__).resolve().parents[2]


def server_dsn(dbname: str) -> str:
    database = settings.DATABASES["default"]
    user = database.get("USER") or "postgres"
    host, port = database.get("HOST") or "127.0.0.1", database.get("PORT") or 5432
    return f"postgresql://{user}@{host}:{port}/{dbname}"


@pytest.fixture
def scratch_databases():
    """Names of scratch databases made on demand, dropped at the end."""
    made = []

    def make() -> str:
        name = f"{settings.DATABASES['default']['NAME']}_restore_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(server_dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return name

    yield make
    with psycopg.connect(server_dsn("postgres"), autocommit=True) as conn:
        for name in made:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def restore(directory, database: str, media: pathlib.Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gtsms.settings.dev",
        "DATABASE_URL": server_dsn(database).replace("postgresql://", "postgres://"),
        "DJANGO_MEDIA_ROOT": str(media),
    }
    return subprocess.run(
        [sys.executable, "manage.py", "restore", str(directory)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def table_counts(dbname: str) -> dict[str, int]:
    with psycopg.connect(server_dsn(dbname)) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
                "AND table_type = 'BASE TABLE' ORDER BY 1"
            )
        ]
        return {table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables}  # noqa: S608


def files_of(folder: pathlib.Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in folder.rglob("*")
        if path.is_file()
    }


@pytest.mark.django_db(transaction=True)
def test_backup_of_the_demo_restores_the_same_rows_and_files(reference_data, settings, tmp_path, scratch_databases):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_demo", stdout=io.StringIO())
    for document in Document.objects.all():  # the demo's documents, produced by the worker in a real run
        assert document.file.name in storage_names()
    backup = tmp_path / "backup"
    call_command("backup", "--output", str(backup), stdout=io.StringIO())
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    assert {item["name"] for item in manifest["files"]} == set(files_of(settings.MEDIA_ROOT))

    target, media = scratch_databases(), tmp_path / "restored-media"
    completed = restore(backup, target, media)
    assert completed.returncode == 0, completed.stderr
    assert "documents vérifiés" in completed.stdout
    assert table_counts(target) == table_counts(settings.DATABASES["default"]["NAME"])
    assert files_of(media) == files_of(settings.MEDIA_ROOT)

    # A second restore into the same (now full) database is refused.
    again = restore(backup, target, media)
    assert again.returncode != 0
    assert "contient déjà des tables : la restauration demande une base vide" in again.stderr

    # A file already in the storage with another content is an error, before anything is restored.
    if manifest["files"]:
        other, clashing = scratch_databases(), tmp_path / "clashing-media"
        name = manifest["files"][0]["name"]
        (clashing / name).parent.mkdir(parents=True)
        (clashing / name).write_bytes(b"autre contenu")
        clash = restore(backup, other, clashing)
        assert clash.returncode != 0 and "avec un autre contenu" in clash.stderr
        assert table_counts(other) == {}


def test_a_tampered_backup_is_refused(tmp_path, db, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    default_storage.save("finess/x.txt", ContentFile(b"nofinessej;rs\n"))
    backup = tmp_path / "backup"
    call_command("backup", "--output", str(backup), stdout=io.StringIO())
    with open(backup / "database.dump", "ab") as handle:
        handle.write(b"x")
    with pytest.raises(CommandError, match="a été modifié"):
        call_command("restore", str(backup))
    with pytest.raises(CommandError, match="n'est pas vide"):
        call_command("backup", "--output", str(backup))
