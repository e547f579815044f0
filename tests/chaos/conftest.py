"""Chaos tests: the real Redis (one private instance per test) and a real Celery worker subprocess.

Each test gets its own ``redis-server`` on a free loopback port, so tests can run in parallel
(pytest-xdist) and stop their broker without disturbing anyone. The worker runs the project's code
with ``tests/chaos/worker_settings.py`` against this test's database (committed rows:
``transactional_db``) and media folder. Every subprocess is killed in ``finally``.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import kombu.pools
import pytest
import redis
from django.conf import settings
from django.db import connection

from gtsms.celery import app as celery_app
from tests.chaos import kinds  # noqa: F401  (registers the test kinds in this process too)


CELERY = Path(sys.executable).with_name("celery")


def wait_for(predicate: Callable[[], object], *, timeout: float, what: str, on_timeout: Callable[[], str] = str):
    """Poll ``predicate`` until it returns something true, for at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timeout ({timeout} s) waiting for {what}\n{on_timeout()}")
        time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A private, memory-only redis-server that a test may stop and start again on the same port."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1)

    def start(self) -> None:
        with (self.workdir / f"redis-{self.port}.log").open("ab") as log:
            self.process = subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
            )
        wait_for(self._answers, timeout=10, what=f"redis-server on port {self.port}")

    def _answers(self) -> bool:
        try:
            with self.client() as client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def queue_is_drained(self) -> bool:
        """No message waiting, none delivered and not yet acknowledged."""
        with self.client() as client:
            return client.llen("celery") == 0 and client.hlen("unacked") == 0


class Worker:
    """``celery -A gtsms worker --pool=prefork`` in its own process group, on this test's DB and broker."""

    def __init__(self, *, broker_url: str, media_root: Path, workdir: Path, concurrency: int = 1, sleep: float = 4):
        self.broker_url, self.media_root, self.workdir = broker_url, media_root, workdir
        self.concurrency, self.sleep = concurrency, sleep
        self.process: subprocess.Popen | None = None
        self.log_path = workdir / f"worker-{uuid.uuid4().hex[:8]}.log"

    def env(self) -> dict[str, str]:
        db = connection.settings_dict
        credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        database_url = f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.chaos.worker_settings",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": self.broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "GTSMS_CHAOS_MEDIA_ROOT": str(self.media_root),
            "GTSMS_CHAOS_SLEEP": str(self.sleep),
            "PYTHONUNBUFFERED": "1",
        }

    def start(self) -> "Worker":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
            [str(CELERY), "-A", "gtsms", "worker", "--pool=prefork", f"--concurrency={self.concurrency}",
             "--loglevel=INFO", "--without-gossip", "--without-mingle", "-n", f"chaos-{uuid.uuid4().hex[:8]}@%h"],
            env=self.env(),
            cwd=settings.BASE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        wait_for(lambda: " ready." in self.log(), timeout=60, what="the worker to be ready", on_timeout=self.log)
        wait_for(
            lambda: len(self.children()) == self.concurrency, timeout=20, what="pool children", on_timeout=self.log
        )
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def children(self) -> list[int]:
        """Pids of the prefork pool's children (processes whose parent is the worker)."""
        if self.process is None:
            return []
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == self.process.pid and fields[0] != "Z":
                    pids.append(int(stat.parent.name))
        return pids

    def kill_child(self) -> int:
        pid = self.children()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and children), as a lost machine would."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        self.kill()


@pytest.fixture
def chaos_dir(tmp_path) -> Path:
    path = tmp_path / "chaos"
    path.mkdir()
    return path


@pytest.fixture
def chaos_media(settings, chaos_dir) -> Path:
    media = chaos_dir / "media"
    media.mkdir()
    settings.MEDIA_ROOT = media
    return media


@pytest.fixture
def chaos_redis(chaos_dir):
    server = RedisServer(chaos_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def chaos_broker(chaos_redis, settings):
    """Point this process's Celery app at the test's Redis, for real (not eager) sending."""
    settings.CELERY_BROKER_URL = chaos_redis.url
    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager

    def reset() -> None:
        with contextlib.suppress(Exception):
            if celery_app._pool is not None:
                celery_app._pool.force_close_all()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        kombu.pools.reset()  # kombu's global producer pools still hold the connections closed above

    celery_app.conf.broker_url, celery_app.conf.task_always_eager = chaos_redis.url, False
    reset()
    try:
        yield chaos_redis
    finally:
        celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved
        reset()


@pytest.fixture
def chaos_workers(chaos_broker, chaos_media, chaos_dir):
    """Start real workers with ``start_worker(**options)``; all of them are killed at the end."""
    started: list[Worker] = []

    def start_worker(**options) -> Worker:
        worker = Worker(broker_url=chaos_broker.url, media_root=chaos_media, workdir=chaos_dir, **options)
        started.append(worker)
        return worker.start()

    try:
        yield start_worker
    finally:
        for worker in started:
            worker.stop()
