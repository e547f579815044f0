"""Backup and restore of a gtsms instance: the database (pg_dump, custom format) and the stored files.

``backup_write(directory)`` writes into an empty or new directory:

- ``database.dump``: ``pg_dump --format=custom`` of the default database (one consistent snapshot);
- ``files.tar``: every file of the default storage (documents, FINESS uploads), read through
  Django's storage API, so it works the same on a local folder or an S3 bucket;
- ``manifest.json``: when, which database, the dump's sha256, and every file's name, size and sha256.

Stored files are written once and never changed (a new version is a new file), so files copied
after the dump are those the dump names, plus possibly newer ones, never altered ones.

``backup_restore(directory)`` checks the manifest's sha256 of the dump and of every file, refuses a
database that holds any table, runs ``pg_restore``, then puts the files back into the storage: a
file already there with the same hash is kept, one with another hash is an error. It ends by
checking the sha256 of every ``Document`` against its stored file.
"""

import datetime
import hashlib
import io
import json
import os
import pathlib
import subprocess
import tarfile

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

from core.exceptions import BusinessRuleError
from documents.models import Document


DUMP = "database.dump"
FILES = "files.tar"
MANIFEST = "manifest.json"
FORMAT_VERSION = 1


class BackupError(BusinessRuleError):
    """A backup or a restore that cannot go on; the message says why, in French."""


def _sha256_file(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _pg_env_and_args() -> tuple[dict, list[str]]:
    database = settings.DATABASES["default"]
    env = {**os.environ}
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    args = []
    if database.get("HOST"):
        args += ["--host", str(database["HOST"])]
    if database.get("PORT"):
        args += ["--port", str(database["PORT"])]
    if database.get("USER"):
        args += ["--username", str(database["USER"])]
    return env, [*args, "--dbname", str(database["NAME"])]


def _run(command: list[str], env: dict, what: str) -> None:
    try:
        completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError:
        raise BackupError(
            f"{command[0]} est introuvable : installez le client PostgreSQL (paquet postgresql-client)."
        ) from None
    if completed.returncode != 0:
        raise BackupError(f"{what} a échoué : {completed.stderr.strip()[:2000]}")


def storage_names(folder: str = "") -> list[str]:
    """Every file name of the default storage, folders walked through the storage API."""
    try:
        folders, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return []
    names = [f"{folder}/{name}" if folder else name for name in files]
    for sub in folders:
        names += storage_names(f"{folder}/{sub}" if folder else sub)
    return sorted(names)


def backup_write(directory: pathlib.Path) -> dict:
    """Write a backup into ``directory`` (created; it must be empty); returns the manifest."""
    directory = pathlib.Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"Le dossier « {directory} » n'est pas vide : choisissez un dossier nouveau ou vide.")
    directory.mkdir(parents=True, exist_ok=True)
    started = datetime.datetime.now(datetime.UTC)
    env, args = _pg_env_and_args()
    _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(directory / DUMP), *args], env, "pg_dump")
    files = []
    with tarfile.open(directory / FILES, "w") as archive:
        for name in storage_names():
            with default_storage.open(name, "rb") as handle:
                content = handle.read()
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mtime = int(started.timestamp())
            archive.addfile(info, io.BytesIO(content))
            files.append({"name": name, "size": len(content), "sha256": hashlib.sha256(content).hexdigest()})
    manifest = {
        "format": FORMAT_VERSION,
        "created_at": started.isoformat(),
        "database": {
            "name": settings.DATABASES["default"]["NAME"],
            "file": DUMP,
            "sha256": _sha256_file(directory / DUMP),
        },
        "files": files,
        "archive": {"file": FILES, "sha256": _sha256_file(directory / FILES)},
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    return manifest


def _read_manifest(directory: pathlib.Path) -> dict:
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BackupError(
            f"« {directory} » n'est pas une sauvegarde gtsms : {MANIFEST} manque ou est illisible."
        ) from None
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"Format de sauvegarde inconnu : {manifest.get('format')!r}.")
    for part in ("database", "archive"):
        path = directory / manifest[part]["file"]
        if not path.is_file() or _sha256_file(path) != manifest[part]["sha256"]:
            raise BackupError(
                f"Le fichier « {path.name} » de la sauvegarde manque ou a été modifié (empreinte différente)."
            )
    return manifest


def _database_is_empty() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
        return cursor.fetchone()[0] == 0


def backup_restore(directory: pathlib.Path) -> dict:
    """Restore a backup into an empty database and into the storage; returns what was done."""
    directory = pathlib.Path(directory)
    manifest = _read_manifest(directory)
    if not _database_is_empty():
        raise BackupError(
            f"La base « {settings.DATABASES['default']['NAME']} » contient déjà des tables : la restauration "
            "demande une base vide (créez-la avec createdb)."
        )
    # Files first checked against the storage, so that a conflict stops before anything is written.
    expected = {item["name"]: item for item in manifest["files"]}
    with tarfile.open(directory / FILES, "r") as archive:
        contents = {}
        for member in archive.getmembers():
            if not member.isfile() or member.name not in expected:
                raise BackupError(f"L'archive contient « {member.name} », absent du manifeste.")
            content = archive.extractfile(member).read()
            if hashlib.sha256(content).hexdigest() != expected[member.name]["sha256"]:
                raise BackupError(f"Le fichier « {member.name} » de l'archive ne correspond pas à son empreinte.")
            contents[member.name] = content
    if missing := sorted(expected.keys() - contents.keys()):
        raise BackupError(f"L'archive ne contient pas « {missing[0]} » (et {len(missing) - 1} autres).")
    kept, conflicts = [], []
    for name in contents:
        if default_storage.exists(name):
            with default_storage.open(name, "rb") as handle:
                same = hashlib.sha256(handle.read()).hexdigest() == expected[name]["sha256"]
            (kept if same else conflicts).append(name)
    if conflicts:
        raise BackupError(
            f"Le stockage contient déjà « {conflicts[0]} » avec un autre contenu "
            f"({len(conflicts)} fichiers en conflit) : rien n'a été restauré."
        )
    env, args = _pg_env_and_args()
    _run(
        ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", *args, str(directory / DUMP)],
        env,
        "pg_restore",
    )
    written = 0
    for name, content in contents.items():
        if name in kept:
            continue
        saved = default_storage.save(name, ContentFile(content))
        if saved != name:
            raise BackupError(f"Le stockage a enregistré « {name} » sous un autre nom (« {saved} »).")
        written += 1
    bad = documents_check()
    if bad:
        raise BackupError(f"Empreinte différente pour {len(bad)} documents après restauration : {', '.join(bad[:5])}.")
    return {"files_written": written, "files_kept": len(kept), "documents_checked": _document_count()}


def _document_count() -> int:
    return Document.objects.count()


def documents_check() -> list[str]:
    """Names of the stored documents whose file is missing or whose sha256 differs from the Document's."""
    bad = []
    for name, sha256 in Document.objects.order_by("id").values_list("file", "sha256").iterator():
        try:
            with default_storage.open(name, "rb") as handle:
                digest = hashlib.sha256(handle.read()).hexdigest()
        except FileNotFoundError:
            digest = None
        if digest != sha256:
            bad.append(name)
    return bad
