"""``/healthz`` says whether a worker answers: none on a private broker, then one started on it."""

import json

import kombu.pools
import pytest

from gtsms.celery import app as celery_app


pytestmark = [pytest.mark.chaos, pytest.mark.django_db]


@pytest.fixture
def fresh_pools(chaos_broker):
    """A ping leaves kombu's process-wide connection and producer pools holding pools that the broker
    fixture closes: drop them all after the test, so that later tests send through new ones."""
    yield
    kombu.pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app.__dict__.pop("control", None)


def health(client) -> tuple[int, dict]:
    response = client.get("/healthz")
    return response.status_code, json.loads(response.content)


def test_healthz_reports_the_worker_absent_then_present(client, chaos_workers, fresh_pools):
    assert health(client) == (200, {"db": "ok", "redis": "ok", "worker": "absent"})
    chaos_workers()
    assert health(client) == (200, {"db": "ok", "redis": "ok", "worker": "ok"})


def test_healthz_answers_503_when_redis_stops(client, chaos_broker):
    chaos_broker.stop()
    assert health(client) == (503, {"db": "ok", "redis": "error", "worker": "absent"})
