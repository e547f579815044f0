"""Reads of the FINESS upload pages."""

import datetime

from django.db.models import QuerySet

from members.models import FinessImportRun


RESULT_LABELS = (
    ("read", "Lignes lues"),
    ("created", "Créées"),
    ("updated", "Modifiées"),
    ("unchanged", "Inchangées"),
    ("closed", "Établissements fermés"),
    ("rejected", "Lignes rejetées"),
)


def finess_import_run_list(*, limit: int = 50) -> QuerySet[FinessImportRun]:
    """The latest import runs, newest first, with who asked for them."""
    return FinessImportRun.objects.select_related("requested_by").order_by("-created_at", "-id")[:limit]


def finess_import_run_rows(runs) -> list[dict]:
    """One row per run for the list template (every key present, so templates never miss one)."""
    return [
        {
            "run": run,
            "names": ", ".join(item.get("name", "") for item in run.files),
            "read": (run.result or {}).get("read"),
            "rejected": (run.result or {}).get("rejected"),
        }
        for run in runs
    ]


def finess_import_run_get(*, public_id) -> FinessImportRun:
    return FinessImportRun.objects.select_related("requested_by").get(public_id=public_id)


def finess_import_run_result(run: FinessImportRun) -> dict:
    """The run's result ready for the template: counts with labels, rejected lines with their file."""
    result = run.result or {}
    errors = result.get("errors") or []
    return {
        "counts": [(label, result.get(key, 0)) for key, label in RESULT_LABELS],
        "errors": [
            {"file": error.get("file", ""), "line": error.get("line", ""), "reason": error.get("reason", "")}
            for error in errors
        ],
        "several_files": any("file" in error for error in errors),
        "notes": list(result.get("notes") or []),
        "pending_closures": [
            {
                "index": index,
                "departement": wave.get("departement", ""),
                "extract_date": _date(wave.get("extract_date")),
                "open": wave.get("open", 0),
                "establishments": [
                    {"finess": finess, "name": name} for _pk, finess, name in wave.get("establishments") or []
                ],
                "decision": wave.get("decision"),
            }
            for index, wave in enumerate(result.get("pending_closures") or [])
        ],
        "errors_capped": result.get("rejected", 0) > len(errors),
    }


def _date(value) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None
