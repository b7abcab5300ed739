"""The integration fixtures: the services of tests/integration/harness.py, made and torn down."""

import json
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.integration.harness import (
    RedisServer,
    S3Endpoint,
    Service,
    running_redis,
    running_s3,
    running_service,
)
from workers.batch import process_key
from workers.local import LocalStore
from workers.settings import Settings

# Retries in seconds rather than a minute, so the suite stays quick.
QUICK_RETRIES = {"DOCFLOW_RETRY_BACKOFF": "1", "DOCFLOW_RETRY_BACKOFF_MAX": "2"}
# Short enough that an unacknowledged message comes back within a test, long enough to
# satisfy the app's check: over DOCFLOW_TASK_TIME_LIMIT + DOCFLOW_RETRY_BACKOFF_MAX.
FAULT_SETTINGS = QUICK_RETRIES | {
    # One key per process message, as from events: the fault tests that want batches (as
    # sweep and reprocess send by default) ask for them.
    "DOCFLOW_BATCH_DOCS": "1",
    "DOCFLOW_VISIBILITY_TIMEOUT": "12",
    "DOCFLOW_TASK_SOFT_TIME_LIMIT": "6",
    "DOCFLOW_TASK_TIME_LIMIT": "8",
}


@pytest.fixture(scope="session")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="session")
def shared_redis(tmp_path_factory: pytest.TempPathFactory, logs: Path) -> Iterator[RedisServer]:
    """One redis-server for the session, without persistence, that no test restarts."""
    with running_redis(tmp_path_factory.mktemp("redis"), logs) as server:
        yield server


@pytest.fixture(scope="session")
def s3(logs: Path) -> Iterator[S3Endpoint]:
    """A real MinIO when DOCFLOW_S3_ENDPOINT_URL is set, else moto's server over HTTP."""
    with running_s3(logs, os.environ.get("DOCFLOW_S3_ENDPOINT_URL")) as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def stack(shared_redis: RedisServer, s3: S3Endpoint, logs: Path) -> Iterator[Service]:
    """The service tests share: one worker on both queues, the bridge and Flower."""
    with running_service(
        s3, logs, name="it", shared_redis=shared_redis, flower=True, settings=QUICK_RETRIES,
        cli_timeout=120,
    ) as service:  # fmt: skip
        service.start_worker()
        service.start_bridge()
        yield service


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> str:
    """A key prefix of the test's own, so tests sharing the stack never see each other's keys."""
    return f"{request.node.name}-{uuid.uuid4().hex[:6]}/"


@pytest.fixture
def service(s3: S3Endpoint, logs: Path) -> Iterator[Callable[..., Service]]:
    """Make a service a test may break: its own Redis, S3 gate and workers (none started yet)."""
    with ExitStack() as made:

        def make(fsync: str = "always", **settings: str) -> Service:
            return made.enter_context(
                running_service(
                    s3, logs, name="ft", fsync=fsync, gate=True, settings=FAULT_SETTINGS | settings
                )
            )

        yield make


@pytest.fixture(scope="session")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, bytes], dict[str, Any]]:
    """What `docflow run`'s code makes of bytes under a key, undisturbed (cached by content)."""
    root = tmp_path_factory.mktemp("clean")
    cache: dict[tuple[str, bytes], dict[str, Any]] = {}

    def run(key: str, body: bytes) -> dict[str, Any]:
        name = Path(key).name
        if (name, body) not in cache:
            case = root / uuid.uuid4().hex
            (case / "in").mkdir(parents=True)
            (case / "in" / name).write_bytes(body)
            outcome = process_key(
                LocalStore(case / "in"), LocalStore(case / "out"), name, Settings()
            )
            kind = "enriched" if outcome.status == "enriched" else "failed"
            cache[name, body] = json.loads((case / "out" / kind / f"{name}.json").read_text())
        return cache[name, body]

    return run
