"""Import of FINESS extracts into ``LegalEntity`` and ``Establishment`` (upsert by FINESS number).

How an import goes (``finess_import``):

1. Every file is recognised first (``parsing.detect``); if one is not a FINESS extract the whole
   batch is refused with ``FinessFileError`` and nothing is written.
2. Files are imported legal entities first (EJ extracts, then the JSON flux, then establishment
   extracts; older extracts before newer ones), each in its own transaction and pghistory context.
3. Records are read in batches of ``BATCH``; the existing rows of a batch are loaded in one query
   (by FINESS number), compared field by field, and only new or changed rows are written
   (PostgreSQL ``COPY`` for new rows, ``COPY`` into a temporary table then one ``UPDATE … FROM`` for
   changed rows). A second import of the same file writes nothing.
4. A malformed line is rejected with its line number and a French reason; the rest is imported.

Rules of the upsert:

- A record carries only the fields its layout has: importing a poorer layout never blanks a field.
- Older data never overwrites newer data: a record whose FINESS update date (``datemaj``) is older
  than the one stored is left aside (counted as unchanged).
- Unknown legal entity: an establishment whose EJ is neither in the database nor earlier in the batch
  gets a placeholder ``LegalEntity`` (its number and the name « Entité juridique <n°> (non importée) »),
  so that no establishment is lost; importing the EJ extract later fills it in and recomputes the
  eligibility of its establishments. Until then their eligibility is empty, rule ``STATUT_UNKNOWN``.
- Eligibility (``Establishment.eligibility`` and ``eligibility_rule``) is computed on every import
  from the EJ statut and the ET category by ``members.eligibility`` (L. 312-7-2 I CASF).
- Closing (``_FileImport._close_missing``): only a *full* establishment extract closes anything. A
  file is full when it is an etalab cs1100507/cs1100502 extract whose metadata line
  (``finess;etalab;<n>;<date>``) has a date and announces exactly the ``structureet`` lines read
  (rejected and duplicate lines included); a file cut by hand that kept the line of the full extract
  is then only an update: it creates and updates, closes nothing, and its summary says why. A full
  extract claims the départements of its rows, and closes there, with ``closed_on`` = the extract
  date, the open establishments it does not list, unless their FINESS update date is not older than
  the extract or a line of theirs was rejected. Establishments are never deleted.
- A closure wave above ``settings.FINESS_CLOSURE_CONFIRM_SHARE`` of a département's open
  establishments is not applied: it is kept in the summary (``pending_closures``) and a platform
  admin confirms it, or not, on the import page (``members.finess.runs.finess_closures_decide``).
- An extract dated before the data already held for its départements (a FINESS update date or a
  closing after the extract date) changes nothing: its transaction is rolled back and its summary
  says so. A stock row reopens an establishment closed on or before the extract date (closed by an
  earlier extract, or by a file that was not full).
"""

import datetime
import json
import logging
import pathlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import pghistory
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from core.enums import JournalAction
from core.journal import journal_record
from members.eligibility import establishment_eligibility
from members.finess.parsing import FileKind, FinessFile, FinessFileError, LineError, Record, detect
from members.models import Establishment, LegalEntity


__all__ = ["FinessFileError", "ImportResult", "finess_import"]

logger = logging.getLogger(__name__)

BATCH = 2000
MAX_ERRORS = 100
Progress = Callable[[int, str], None]

_SKIP = {"id", "finess", "created_at", "updated_at"}
ET_FIELDS = tuple(f.attname for f in Establishment._meta.concrete_fields if f.attname not in _SKIP)
EJ_FIELDS = tuple(f.attname for f in LegalEntity._meta.concrete_fields if f.attname not in _SKIP)


class _CopyInserter:
    """Inserts new rows with PostgreSQL COPY, several times faster than INSERT for big extracts.

    Row triggers still fire, so every row gets its pghistory insert event. The row is built from the
    model's defaults (``Field.get_default``) overwritten by the values the file carries.
    """

    def __init__(self, model):
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.model = model
        self.columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        self.table = connection.ops.quote_name(model._meta.db_table)
        self.index = {f.attname: position for position, f in enumerate(fields)}
        self.template = [None if f.attname in ("created_at", "updated_at") else f.get_default() for f in fields]

    def insert(self, records: list["Record"], now: datetime.datetime) -> None:
        index, template = self.index, self.template
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {self.table} ({self.columns}) FROM STDIN") as copy,
        ):
            for record in records:
                row = list(template)
                row[index["finess"]] = record.finess
                row[index["created_at"]] = row[index["updated_at"]] = now
                for name, value in record.values.items():
                    row[index[name]] = value
                copy.write_row(row)


def _copy_update(model, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Update many rows in one statement: COPY ``(id, *columns)`` into a temporary table, then UPDATE … FROM.

    ``bulk_update`` writes one CASE per column and row, which takes minutes for tens of thousands of
    rows; this takes seconds. The update triggers (pghistory) still fire for every row.
    """
    # Only quoted model identifiers are put into the SQL text; the values go through COPY.
    quote = connection.ops.quote_name
    names = [quote(model._meta.get_field(column).column) for column in columns]
    table, temp = quote(model._meta.db_table), quote(f"finess_update_{model._meta.model_name}")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {temp}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS SELECT id, {', '.join(names)} FROM {table} WITH NO DATA"  # noqa: S608
        )
        with cursor.cursor.copy(f"COPY {temp} (id, {', '.join(names)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        assignments = ", ".join(f"{name} = s.{name}" for name in names)
        cursor.execute(f"UPDATE {table} AS t SET {assignments} FROM {temp} AS s WHERE t.id = s.id")  # noqa: S608


def _prepare_transaction(history) -> None:
    """Set, for the file's transaction, what the history triggers read on every row.

    - ``pghistory.context_*``: pghistory adds them in front of each write statement run through
      Django, but ``COPY`` goes straight to psycopg, so they are set once here (transaction-local).
    - ``pgtrigger.ignore``: each trigger first asks ``_pgtrigger_should_ignore``, which reads this
      setting; when it is unset, the PL/pgSQL function raises and catches an exception for every row,
      a subtransaction each time (measured: 20 000 establishments 2.96 s → 0.76 s). An empty list
      ignores no trigger: the history events are written exactly as without it.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pghistory.context_id', %s, true), "
            "set_config('pghistory.context_metadata', %s, true), "
            "set_config('pgtrigger.ignore', '{}', true)",
            [str(history.id), json.dumps(history.metadata, cls=DjangoJSONEncoder)],
        )


class _OlderExtract(Exception):
    """Raised inside a file's transaction to undo an extract older than the data held."""


def close_establishments(ids: Sequence[int], *, closed_on: datetime.date, now: datetime.datetime) -> None:
    """Close establishments (never delete them), in batches; their memberships are left as they are."""
    for index in range(0, len(ids), BATCH):
        Establishment.objects.filter(id__in=ids[index : index + BATCH]).update(
            closed=True, closed_on=closed_on, updated_at=now
        )


@dataclass
class FileSummary:
    """What one file did (for progress lines, the job page and the journal)."""

    name: str
    kind: FileKind
    extract_date: datetime.date | None
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    closed: int = 0
    rejected: int = 0
    placeholders: int = 0
    eligibility_recomputed: int = 0
    notes: list[str] = field(default_factory=list)
    pending_closures: list[dict] = field(default_factory=list)

    def rolled_back(self) -> "FileSummary":
        """The summary of a file whose writes were undone: everything it read is unchanged."""
        self.unchanged = self.read - self.rejected
        self.created = self.updated = self.closed = self.placeholders = self.eligibility_recomputed = 0
        self.pending_closures = []
        return self

    def as_facts(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind.value,
            "extract_date": self.extract_date.isoformat() if self.extract_date else None,
            "read": self.read,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "closed": self.closed,
            "rejected": self.rejected,
            "placeholders": self.placeholders,
            "eligibility_recomputed": self.eligibility_recomputed,
            "notes": list(self.notes),
            "pending_closures": [
                {k: v for k, v in wave.items() if k != "establishments"} | {"count": len(wave["establishments"])}
                for wave in self.pending_closures
            ],
        }


@dataclass
class ImportResult:
    """The counts of an import; ``as_dict`` is the contract shown to users and printed by the command."""

    errors: list[dict] = field(default_factory=list)
    files: list[FileSummary] = field(default_factory=list)
    several_files: bool = False

    def _total(self, name: str) -> int:
        return sum(getattr(summary, name) for summary in self.files)

    read = property(lambda self: self._total("read"))
    created = property(lambda self: self._total("created"))
    updated = property(lambda self: self._total("updated"))
    unchanged = property(lambda self: self._total("unchanged"))
    closed = property(lambda self: self._total("closed"))
    rejected = property(lambda self: self._total("rejected"))

    def add_error(self, *, file: str, line: int, reason: str) -> None:
        """Keep the reason of a rejected line (the counts are the files' own), up to MAX_ERRORS."""
        if len(self.errors) < MAX_ERRORS:
            error = {"line": line, "reason": reason}
            if self.several_files:
                error["file"] = file
            self.errors.append(error)

    def add(self, summary: FileSummary) -> None:
        self.files.append(summary)

    def as_dict(self) -> dict:
        return {
            "read": self.read,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "closed": self.closed,
            "rejected": self.rejected,
            "errors": list(self.errors),
            "notes": [f"{summary.name} : {note}" for summary in self.files for note in summary.notes],
            "pending_closures": [wave for summary in self.files for wave in summary.pending_closures],
        }


class _FileImport:
    """Import of one recognised file, inside its own transaction."""

    def __init__(
        self,
        finess_file: FinessFile,
        result: ImportResult,
        report: Callable[[float, str], None],
        *,
        confirm_closures: bool = False,
    ):
        self.file = finess_file
        self.confirm_closures = confirm_closures
        self.result = result
        self.report = report
        self.summary = FileSummary(name=finess_file.name, kind=finess_file.kind, extract_date=finess_file.extract_date)
        self.now = timezone.now()
        self.seen_lines: dict[str, int] = {}  # FINESS number → line of its record, per record type
        self.mentioned: set[str] = set()  # numbers of rejected lines too: never closed for being "missing"
        self.statut_changed: set[int] = set()  # EJ ids whose statut changed: eligibility to recompute

    # --- common ---

    def _reject(self, error: LineError) -> None:
        if error.counts:
            self.summary.read += 1
            self.summary.rejected += 1
        self.result.add_error(file=self.file.name, line=error.line, reason=error.reason)

    def _batches(self, items: Iterable[Record | LineError]) -> Iterable[list[Record]]:
        """Valid, first-seen records in batches; errors and duplicates are rejected on the way."""
        batch: list[Record] = []
        for item in items:
            if isinstance(item, LineError):
                if item.finess:
                    self.mentioned.add(item.finess)
                self._reject(item)
                continue
            first = self.seen_lines.setdefault(item.finess, item.line)
            if first != item.line:
                self._reject(
                    LineError(
                        item.line, f"numéro FINESS {item.finess} en double dans le fichier (déjà lu ligne {first})"
                    )
                )
                continue
            self.summary.read += 1
            batch.append(item)
            if len(batch) >= BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    def _guarded(self, values: dict, row: dict) -> dict | None:
        """The values to compare with ``row``, or None when the record is older than the stored data."""
        incoming, stored = values.get("finess_updated_on"), row.get("finess_updated_on")
        if incoming is not None and stored is not None and incoming < stored:
            return None
        if row.get("closed") and values.get("closed") is False:
            date, closed_on = self.file.extract_date, row.get("closed_on")
            if date is None or (closed_on is not None and date < closed_on):
                values = {k: v for k, v in values.items() if k not in ("closed", "closed_on")}
        return values

    def _upsert(self, model, fields: tuple[str, ...], records: list[Record]) -> list[tuple[dict, dict]]:
        """Create the new rows, update the changed ones; returns (row before, changes) of updated rows."""
        existing = {
            row["finess"]: row
            for row in model.objects.filter(finess__in=[r.finess for r in records]).values("id", "finess", *fields)
        }
        creates, updates, changed_fields, changes_made = [], [], set(), []
        for record in records:
            row = existing.get(record.finess)
            if row is None:
                creates.append(record)
                continue
            values = self._guarded(record.values, row)
            changes = {k: v for k, v in (values or {}).items() if row[k] != v}
            if not changes:
                self.summary.unchanged += 1
                continue
            updates.append({**row, **changes, "updated_at": self.now})
            changed_fields.update(changes)
            changes_made.append((row, changes))
        if creates:
            _CopyInserter(model).insert(creates, self.now)
            self.summary.created += len(creates)
        if updates:
            columns = [*sorted(changed_fields), "updated_at"]
            _copy_update(model, columns, ([values["id"]] + [values[c] for c in columns] for values in updates))
            self.summary.updated += len(updates)
        return changes_made

    # --- legal entities ---

    def _tracker(self, share: tuple[float, float], label: str) -> tuple[Callable[[float], None], Callable[[], None]]:
        """(callback for the reader's position, function reporting the rows read so far)."""
        start, width = share
        position = [0.0]

        def on_position(fraction: float) -> None:
            position[0] = fraction

        def report() -> None:
            self.report(start + width * position[0], f"{label} : {self.summary.read} lignes lues")

        self.report(start, f"{label} : lecture")
        return on_position, report

    def import_entities(self, share: tuple[float, float]) -> None:
        self.seen_lines, self.mentioned = {}, set()
        on_position, report = self._tracker(share, "Entités juridiques")
        for batch in self._batches(self.file.entities(on_position)):
            for row, changes in self._upsert(LegalEntity, EJ_FIELDS, batch):
                if "statut_code" in changes:
                    self.statut_changed.add(row["id"])
            report()
        self._recompute_eligibility()

    def _recompute_eligibility(self) -> None:
        """Eligibility of the establishments whose legal entity changed statut (L. 312-7-2 I CASF)."""
        ids = sorted(self.statut_changed)
        for index in range(0, len(ids), BATCH):
            rows = Establishment.objects.filter(legal_entity_id__in=ids[index : index + BATCH]).values(
                "id", "category_code", "eligibility", "eligibility_rule", "legal_entity__statut_code"
            )
            updates = []
            for row in rows:
                eligibility, rule = establishment_eligibility(
                    statut_code=row["legal_entity__statut_code"], category_code=row["category_code"]
                )
                if (eligibility, rule) != (row["eligibility"], row["eligibility_rule"]):
                    updates.append((row["id"], eligibility, rule, self.now))
            if updates:
                _copy_update(Establishment, ("eligibility", "eligibility_rule", "updated_at"), updates)
            self.summary.eligibility_recomputed += len(updates)

    # --- establishments ---

    def _legal_entities(self, records: list[Record]) -> dict[str, tuple[int, str]]:
        """EJ finess → (id, statut) for the batch, creating placeholders for unknown EJ."""
        numbers = {r.legal_entity_finess for r in records}
        known = {
            finess: (pk, statut)
            for finess, pk, statut in LegalEntity.objects.filter(finess__in=numbers).values_list(
                "finess", "id", "statut_code"
            )
        }
        missing = sorted(numbers - known.keys())
        if missing:
            placeholders = LegalEntity.objects.bulk_create(
                [LegalEntity(finess=n, name=f"Entité juridique {n} (non importée)") for n in missing]
            )
            known.update({p.finess: (p.pk, "") for p in placeholders})
            self.summary.placeholders += len(placeholders)
        return known

    def import_establishments(self, share: tuple[float, float]) -> None:
        self.seen_lines, self.mentioned = {}, set()
        covered: set[str] = set()
        dated_extract = self.file.kind == FileKind.ETALAB_ET and self.file.extract_date is not None
        held = self._held_dates() if dated_extract else {}
        on_position, report = self._tracker(share, "Établissements")
        for batch in self._batches(self.file.establishments(on_position)):
            entities = self._legal_entities(batch)
            for record in batch:
                ej_id, statut = entities[record.legal_entity_finess]
                eligibility, rule = establishment_eligibility(
                    statut_code=statut, category_code=str(record.values.get("category_code", ""))
                )
                record.values.update(legal_entity_id=ej_id, eligibility=eligibility, eligibility_rule=rule)
                if record.values.get("departement_id"):
                    covered.add(str(record.values["departement_id"]))
            self._upsert(Establishment, ET_FIELDS, batch)
            report()
        if dated_extract and covered:
            if self._older_than_held(covered, held):
                raise _OlderExtract
            self.report(sum(share), "Fermeture des établissements absents de l'extrait")
            self._close_missing(covered)

    def _held_dates(self) -> dict[str, datetime.date]:
        """Newest FINESS date held per département (update or closing), read before the file writes."""
        newest = (
            Establishment.objects.order_by()
            .values("departement_id")
            .annotate(updated=Max("finess_updated_on"), closed=Max("closed_on"))
            .values_list("departement_id", "updated", "closed")
        )
        return {
            departement: max(d for d in (updated, closed) if d is not None)
            for departement, updated, closed in newest
            if departement and (updated or closed)
        }

    def _older_than_held(self, covered: set[str], held: dict[str, datetime.date]) -> bool:
        """True when the database held data of these départements dated after the extract."""
        date = self.file.extract_date
        newest = max((held[d] for d in covered if d in held), default=None)
        if newest is not None and newest > date:
            self.summary.notes.append(
                f"Extrait du {date:%d/%m/%Y} plus ancien que les données déjà importées pour ses départements "
                f"(mises à jour le {newest:%d/%m/%Y}) : rien n'a été modifié."
            )
            return True
        return False

    def _full_extract_error(self) -> str | None:
        """Why this file is not a full extract (None when it is one)."""
        announced, read = self.file.announced_rows, self.summary.read
        if announced is None:
            return "la ligne « finess;etalab » n'annonce pas de nombre de lignes"
        if announced != read:
            return f"la ligne « finess;etalab » annonce {announced} établissements mais le fichier en contient {read}"
        return None

    def _close_missing(self, covered: set[str]) -> None:
        date = self.file.extract_date
        if (reason := self._full_extract_error()) is not None:
            self.summary.notes.append(
                f"Aucune fermeture : ce n'est pas un extrait complet ({reason}). "
                "Les établissements listés ont été créés ou mis à jour, aucun autre n'a été fermé."
            )
            return
        candidates = [
            (pk, finess, name, departement)
            for pk, finess, name, departement, updated_on in Establishment.objects.filter(
                departement_id__in=covered, closed=False
            ).values_list("id", "finess", "name", "departement_id", "finess_updated_on")
            if finess not in self.seen_lines
            and finess not in self.mentioned
            and (updated_on is None or updated_on < date)
        ]
        open_counts = dict(
            Establishment.objects.filter(departement_id__in=covered, closed=False)
            .values_list("departement_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        by_departement: dict[str, list[tuple]] = {}
        for row in candidates:
            by_departement.setdefault(row[3], []).append(row)
        share = settings.FINESS_CLOSURE_CONFIRM_SHARE
        to_close = []
        for departement, rows in sorted(by_departement.items()):
            open_count = open_counts.get(departement, 0)
            if self.confirm_closures or len(rows) <= share * open_count:
                to_close.extend(pk for pk, *_rest in rows)
                continue
            self.summary.pending_closures.append(
                {
                    "departement": departement,
                    "extract_date": date.isoformat(),
                    "open": open_count,
                    "establishments": [[pk, finess, name] for pk, finess, name, _dep in rows],
                }
            )
            self.summary.notes.append(
                f"Département {departement} : {len(rows)} fermetures sur {open_count} établissements ouverts, "
                f"plus de {share * 100:g} % : elles attendent la confirmation d'un administrateur de la plateforme."
            )
        close_establishments(to_close, closed_on=date, now=self.now)
        self.summary.closed += len(to_close)

    def run(self) -> FileSummary:
        kind = self.file.kind
        if kind.has_entities and kind.has_establishments:
            self.import_entities((0.0, 0.3))
            self.import_establishments((0.3, 0.7))
        elif kind.has_entities:
            self.import_entities((0.0, 1.0))
        else:
            self.import_establishments((0.0, 1.0))
        return self.summary


def finess_import(
    paths: Sequence[pathlib.Path],
    *,
    progress: Progress | None = None,
    actor=None,
    names: Sequence[str] | None = None,
    confirm_closures: bool = False,
) -> ImportResult:
    """Import FINESS extracts (establishments, legal entities, JSON flux), each file atomically.

    ``names`` are the file names shown to users (the uploaded names), defaulting to the paths' names.
    ``confirm_closures`` applies closure waves above ``FINESS_CLOSURE_CONFIRM_SHARE`` at once (the
    command's ``--confirm-closures``); otherwise they wait in the summary's ``pending_closures``.
    Raises ``FinessFileError`` before writing anything when a file is not a FINESS extract.
    Journals one ``FINESS_IMPORTED`` entry with the counts.
    """
    paths = [pathlib.Path(p) for p in paths]
    names = list(names) if names is not None else [p.name for p in paths]
    files = [detect(path, name) for path, name in zip(paths, names, strict=True)]
    files.sort(key=lambda f: (f.kind.import_order, f.extract_date or datetime.date.min))
    result = ImportResult(several_files=len(files) > 1)
    total = len(files)

    for index, finess_file in enumerate(files):

        def report(fraction: float, step: str, index=index, finess_file=finess_file) -> None:
            if progress is not None:
                percent = int(100 * (index + min(max(fraction, 0.0), 1.0)) / total)
                progress(percent, f"{finess_file.name} — {step}")

        report(0.0, f"lecture ({finess_file.kind.label})")
        context = {"source": "finess_import", "file": finess_file.name}
        if actor is not None and getattr(actor, "pk", None) is not None:
            context["user"] = actor.pk
        file_import = _FileImport(finess_file, result, report, confirm_closures=confirm_closures)
        try:
            with transaction.atomic(), pghistory.context(**context) as history:
                _prepare_transaction(history)
                summary = file_import.run()
        except _OlderExtract:
            summary = file_import.summary.rolled_back()
        finally:
            finess_file.release()
        result.add(summary)
        report(1.0, f"terminé : {summary.read} lus, {summary.created} créés, {summary.updated} modifiés")
        logger.info("Import FINESS %s : %s", finess_file.name, summary.as_facts())

    journal_record(
        action=JournalAction.FINESS_IMPORTED,
        groupement=None,
        actor=actor,
        facts={
            **{k: v for k, v in result.as_dict().items() if k != "errors"},
            "files": [summary.as_facts() for summary in result.files],
        },
    )
    return result
