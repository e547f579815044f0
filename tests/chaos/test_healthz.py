"""``/healthz`` says whether a worker answers: none on a private broker, then one started on it."""

import json

import pytest


pytestmark = [pytest.mark.chaos, pytest.mark.django_db]


def health(client) -> tuple[int, dict]:
    response = client.get("/healthz")
    return response.status_code, json.loads(response.content)


def test_healthz_reports_the_worker_absent_then_present(client, chaos_workers, chaos_broker):
    assert health(client) == (200, {"db": "ok", "redis": "ok", "worker": "absent"})
    chaos_workers()
    assert health(client) == (200, {"db": "ok", "redis": "ok", "worker": "ok"})


def test_healthz_answers_503_when_redis_stops(client, chaos_broker):
    chaos_broker.stop()
    assert health(client) == (503, {"db": "ok", "redis": "error", "worker": "absent"})
