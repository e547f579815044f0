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
- Closing: only a full establishment extract with a date (the ``finess;etalab;…;<date>`` line of
  cs1100507/cs1100502) closes anything. It closes, with ``closed_on`` = the extract date, the open
  establishments that are missing from it, only in the départements the file covers (those of its
  rows), only when their FINESS update date is older than the extract, and not at all when the
  database already holds data of those départements updated after the extract date (a newer
  extract was imported before). Establishments are never deleted. A stock row reopens a closed
  establishment only when the extract is dated after the closing.
"""

import datetime
import json
import logging
import pathlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import pghistory
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Max
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
        }


class _FileImport:
    """Import of one recognised file, inside its own transaction."""

    def __init__(self, finess_file: FinessFile, result: ImportResult, report: Callable[[float, str], None]):
        self.file = finess_file
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
            if date is None or (closed_on is not None and date <= closed_on):
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
        if self.file.kind == FileKind.ETALAB_ET and self.file.extract_date is not None and covered:
            self.report(sum(share), "Fermeture des établissements absents de l'extrait")
            self._close_missing(covered)

    def _close_missing(self, covered: set[str]) -> None:
        date = self.file.extract_date
        in_scope = Establishment.objects.filter(departement_id__in=covered)
        newest = in_scope.aggregate(newest=Max("finess_updated_on"))["newest"]
        if newest is not None and newest > date:
            self.summary.notes.append(
                f"Aucune fermeture : la base contient des données de ces départements mises à jour le "
                f"{newest:%d/%m/%Y}, après la date de l'extrait ({date:%d/%m/%Y})."
            )
            return
        to_close = [
            pk
            for pk, finess, updated_on in in_scope.filter(closed=False).values_list(
                "id", "finess", "finess_updated_on"
            )
            if finess not in self.seen_lines
            and finess not in self.mentioned
            and (updated_on is None or updated_on < date)
        ]
        for index in range(0, len(to_close), BATCH):
            Establishment.objects.filter(id__in=to_close[index : index + BATCH]).update(
                closed=True, closed_on=date, updated_at=self.now
            )
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
) -> ImportResult:
    """Import FINESS extracts (establishments, legal entities, JSON flux), each file atomically.

    ``names`` are the file names shown to users (the uploaded names), defaulting to the paths' names.
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
        try:
            with transaction.atomic(), pghistory.context(**context) as history:
                _prepare_transaction(history)
                summary = _FileImport(finess_file, result, report).run()
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
