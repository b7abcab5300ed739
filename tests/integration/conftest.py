"""The whole service on free ports: redis-server, S3 (moto or MinIO), worker, bridge, Flower."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import boto3
import pytest
import redis
from botocore.exceptions import ClientError

from tests.conftest import ROOT
from tests.events import access_event

T = TypeVar("T")

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
# The embedded CLI as a process, whether or not the package is installed in this interpreter.
DOCFLOW = [sys.executable, "-c", "from tasks.cli import main; main()"]
CELERY = [sys.executable, "-m", "celery", "-A", "tasks.app"]
FLOWER_LOGIN = ("docflow-test", "not-a-real-secret")
WAIT_SECONDS = 90.0


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(what: str, check: Callable[[], T | None], timeout: float = WAIT_SECONDS) -> T:
    """Poll check until it returns something truthy, or fail naming what never happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@dataclass
class Process:
    """A child process with its output in a file."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        """Everything it has printed so far."""
        return self.log.read_text(errors="replace")

    def count(self, pattern: str) -> int:
        """How many lines of its output match a regular expression."""
        return len(re.findall(pattern, self.text(), re.MULTILINE))

    def stop(self) -> None:
        """SIGTERM (a warm shutdown for Celery), SIGKILL its group if that takes too long."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)


def start(name: str, command: list[str], env: dict[str, str], logs: Path) -> Process:
    """Start a command in its own process group, output to logs/name.log."""
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Process(name, popen, log)


@dataclass
class Stack:
    """The running service and handles to look at it from outside."""

    env: dict[str, str]
    s3: Any
    ingest_bucket: str
    output_bucket: str
    redis: redis.Redis
    logs: Path
    flower_url: str
    worker_name: str
    worker: Process
    bridge: Process
    processes: list[Process] = field(default_factory=list)

    def docflow(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the docflow CLI against the stack; fail the test on a non-zero exit."""
        done = subprocess.run(
            [*DOCFLOW, *args],
            check=False,
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done

    def start(self, name: str, command: list[str], **env: str) -> Process:
        """Start another process, with extra environment, that the stack stops at the end."""
        process = start(name, command, self.env | env, self.logs)
        self.processes.append(process)
        return process

    def notify(self, key: str) -> None:
        """Push the object-created event MinIO would push for the object now at key."""
        head = self.s3.head_object(Bucket=self.ingest_bucket, Key=key)
        etag, size = head["ETag"].strip('"'), head["ContentLength"]
        self.redis.rpush(
            self.env["DOCFLOW_EVENTS_KEY"],
            access_event(self.ingest_bucket, key, etag=etag, size=size),
        )

    def output(self, key: str, timeout: float = WAIT_SECONDS) -> dict[str, Any]:
        """Wait for an output object and return its JSON."""

        def read() -> dict[str, Any] | None:
            try:
                body = self.s3.get_object(Bucket=self.output_bucket, Key=key)["Body"].read()
            except ClientError:
                return None
            document: dict[str, Any] = json.loads(body)
            return document

        return wait_for(f"s3://{self.output_bucket}/{key}", read, timeout)

    def worker_children(self) -> list[int]:
        """The worker's pool processes (Linux: from /proc)."""
        pid = self.worker.popen.pid
        return [
            int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        ]

    def processed(self, key: str) -> int:
        """How many times the worker finished processing key (any outcome)."""
        return self.worker.count(rf"process {re.escape(key)}: (enriched|failed)$")


@pytest.fixture(scope="session")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory, logs: Path) -> Iterator[str]:
    """A private redis-server (never the shared one on 6379), gone with the session."""
    port = free_port()
    data = tmp_path_factory.mktemp("redis")
    server = start(
        "redis",
        [
            *(REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data)),
            *("--save", "", "--appendonly", "no"),
        ],
        dict(os.environ),
        logs,
    )
    wait_for("redis-server", lambda: listening(port), 20)
    yield f"redis://127.0.0.1:{port}/0"
    server.stop()


def listening(port: int) -> bool:
    """True once something accepts connections on the port."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="session")
def s3_env(logs: Path) -> Iterator[dict[str, str]]:
    """A real MinIO when DOCFLOW_S3_ENDPOINT_URL is set, else moto's server over HTTP."""
    endpoint = os.environ.get("DOCFLOW_S3_ENDPOINT_URL")
    if endpoint:
        yield {"DOCFLOW_S3_ENDPOINT_URL": endpoint}
        return
    # A process of its own, not ThreadedMotoServer: in this process, any test's mock_aws
    # would reset the shared moto state and take the service's buckets with it.
    port = free_port()
    server = start(
        "moto",
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        dict(os.environ),
        logs,
    )
    wait_for("the moto server", lambda: listening(port), 30)
    yield {
        "DOCFLOW_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    server.stop()


@pytest.fixture(scope="session")
def stack(redis_url: str, s3_env: dict[str, str], logs: Path) -> Iterator[Stack]:
    """Buckets of their own, one worker on both queues, the bridge and Flower."""
    run = uuid.uuid4().hex[:8]
    env = {name: value for name, value in os.environ.items() if not name.startswith("DOCFLOW_")}
    env |= s3_env | {
        "DOCFLOW_BROKER_URL": redis_url,
        "DOCFLOW_INGEST_BUCKET": f"docflow-it-{run}-in",
        "DOCFLOW_OUTPUT_BUCKET": f"docflow-it-{run}-out",
        "DOCFLOW_EVENTS_KEY": f"docflow:it:{run}:events",
        # Retries in seconds rather than a minute, so the suite stays quick.
        "DOCFLOW_RETRY_BACKOFF": "1",
        "DOCFLOW_RETRY_BACKOFF_MAX": "2",
        "PYTHONPATH": str(ROOT),
    }
    s3 = boto3.client(
        "s3",
        endpoint_url=env["DOCFLOW_S3_ENDPOINT_URL"],
        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY"),
        region_name=env.get("AWS_DEFAULT_REGION", "us-east-1"),
    )
    buckets = (env["DOCFLOW_INGEST_BUCKET"], env["DOCFLOW_OUTPUT_BUCKET"])
    for bucket in buckets:
        s3.create_bucket(Bucket=bucket)
    flower_port = free_port()
    processes = [
        start(
            "worker",
            [
                *(*CELERY, "worker", "-Q", "docflow.ingest,docflow.process", "--pool", "prefork"),
                *("--concurrency", "1", "--hostname", f"it-{run}@%h", "--loglevel", "INFO"),
            ],
            env,
            logs,
        ),
        start("bridge", [*DOCFLOW, "events"], env, logs),
        start(
            "flower",
            [
                *(*CELERY, "flower", f"--port={flower_port}", "--address=127.0.0.1"),
                f"--basic-auth={':'.join(FLOWER_LOGIN)}",
            ],
            env,
            logs,
        ),
    ]
    worker, bridge, flower = processes
    stack = Stack(
        env=env,
        s3=s3,
        ingest_bucket=buckets[0],
        output_bucket=buckets[1],
        redis=redis.Redis.from_url(redis_url),
        logs=logs,
        flower_url=f"http://127.0.0.1:{flower_port}",
        worker_name=f"it-{run}",
        worker=worker,
        bridge=bridge,
        processes=processes,
    )
    try:
        wait_for("the worker to load its model", lambda: worker.count("worker child ready"))
        wait_for("the bridge", lambda: bridge.count("bridge .* -> ingest tasks"))
        wait_for("flower", lambda: flower.count("Visit me at"))
        yield stack
    finally:
        for process in reversed(stack.processes):
            process.stop()
        for bucket in buckets:
            _empty_and_delete(s3, bucket)


def _empty_and_delete(s3: Any, bucket: str) -> None:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=item["Key"])
    s3.delete_bucket(Bucket=bucket)


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> str:
    """A key prefix of the test's own, so tests sharing the stack never see each other's keys."""
    return f"{request.node.name}-{uuid.uuid4().hex[:6]}/"
