"""Real Celery workers for the recovery tests: subprocesses on PostgreSQL (they must see the test's
committed rows) and on a Redis database of their own, started and killed by the test.

Why a database of their own: a worker hands out again every task that any worker on its Redis
database has held for longer than the visibility timeout, and these workers run with a timeout of
a few seconds; on a shared database they would hand out other runs' tasks. The database is
RECOVERY_REDIS_URL (the test settings: the one after REDIS_URL's, redis://host:6379/0 -> /1, or one
per process when the suite runs in parallel); it must be empty when the test starts, and is
emptied again when it ends.
"""

import email
import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit

import pytest
import redis
from django.conf import settings
from django.db import connection

from orders_site.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent.parent
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def wait_until(condition, *, deadline: float, every: float = 0.2) -> bool:
    """Poll `condition` until it holds or time.monotonic() passes `deadline`."""
    while True:
        if condition():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(every)


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def isolated_redis(require_redis):
    url = settings.RECOVERY_REDIS_URL
    database = urlsplit(url).path.strip("/")
    client = redis.Redis.from_url(url)
    if client.dbsize():
        message = f"Redis database {database} ({url}) is not empty; the recovery tests need it to themselves"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield client, url
    finally:
        keys = list(client.scan_iter())
        if keys:
            client.delete(*keys)
        client.close()


@dataclass
class Worker:
    name: str
    process: subprocess.Popen
    log: Path
    render_marker: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_for(self, text: str, *, seconds: float) -> bool:
        return wait_until(lambda: text in self.output(), deadline=time.monotonic() + seconds)

    def kill_process_group(self) -> None:
        """SIGKILL to the worker and its pool processes at once: nothing acknowledges, rejects or
        hands back a task, as when its machine dies."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@dataclass
class RecoveryWorkers:
    """Starts workers on one queue of the isolated Redis database; sends the test's tasks there."""

    redis: redis.Redis
    redis_url: str
    tmp_path: Path
    media_root: str
    queue: str = field(default_factory=lambda: f"recovery-{uuid.uuid4().hex[:10]}")
    workers: list[Worker] = field(default_factory=list)

    @property
    def email_dir(self) -> Path:
        return self.tmp_path / "sent-emails"

    def start(self, name: str, *, extra_args: tuple[str, ...] = (), **settings_env: object) -> Worker:
        """A worker (prefork, one pool process, like production's but smaller) with the given
        settings as environment variables, e.g. CELERY_VISIBILITY_TIMEOUT=5. Waits until it is
        ready to take tasks."""
        log = self.tmp_path / f"worker-{name}.log"
        render_marker = self.tmp_path / f"rendering-{name}"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.recovery.worker_settings",
            "DATABASE_URL": _database_url(),
            "REDIS_URL": self.redis_url,
            "MEDIA_ROOT": self.media_root,
            "RECOVERY_TEST_QUEUE": self.queue,
            "RECOVERY_TEST_EMAIL_DIR": str(self.email_dir),
            "RECOVERY_TEST_RENDER_MARKER": str(render_marker),
            **{key: str(value) for key, value in settings_env.items()},
        }
        with log.open("w") as log_file:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "tests.recovery.worker_app",
                    "worker",
                    "-Q",
                    self.queue,
                    "-n",
                    f"{name}@{self.queue}",
                    "--concurrency=1",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel=INFO",
                    *extra_args,
                ],
                cwd=ROOT,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, to kill it with its pool processes
            )
        worker = Worker(name=name, process=process, log=log, render_marker=render_marker)
        self.workers.append(worker)
        assert worker.wait_for(" ready.", seconds=60), f"worker {name} did not start:\n{worker.output()[-3000:]}"
        return worker

    @contextmanager
    def tasks_to_workers(self):
        """Tasks queued by the services inside the block go to these workers instead of running
        in-process (the test's own broker settings are left alone)."""
        with celery_app.connection_for_write(self.redis_url) as broker:

            def send_to_workers(name: str, *args) -> None:
                celery_app.send_task(name, args=args, connection=broker, queue=self.queue)

            eager, celery_app.conf.task_always_eager = celery_app.conf.task_always_eager, False
            try:
                with mock.patch("orders_site.core.tasks.task_send", send_to_workers):
                    yield
            finally:
                celery_app.conf.task_always_eager = eager

    def sent_emails(self) -> list[email.message.Message]:
        """Every message the workers handed to their (file) mail backend."""
        separator = b"\n" + b"-" * 79 + b"\n"
        messages = []
        for path in sorted(self.email_dir.glob("*.log")) if self.email_dir.exists() else []:
            for raw in path.read_bytes().split(separator):
                if raw.strip():
                    messages.append(email.message_from_bytes(raw))
        return messages

    def stop_all(self) -> None:
        for worker in self.workers:
            if worker.process.poll() is None:
                os.killpg(worker.process.pid, signal.SIGTERM)
                try:
                    worker.process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.process.pid, signal.SIGKILL)
                    worker.process.wait()
            print(f"--- worker {worker.name} ---\n{worker.output()[-4000:]}")


@pytest.fixture
def recovery_workers(require_postgres, isolated_redis, transactional_db, settings, tmp_path):
    client, url = isolated_redis
    workers = RecoveryWorkers(redis=client, redis_url=url, tmp_path=tmp_path, media_root=str(settings.MEDIA_ROOT))
    try:
        yield workers
    finally:
        workers.stop_all()
