"""The whole service on free ports: redis-server, S3 (moto or MinIO), worker, bridge, Flower."""

import http.client
import json
import mimetypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import boto3
import pytest
import redis
from botocore.exceptions import ClientError

from tests.conftest import ROOT
from tests.events import access_event
from workers.batch import process_key
from workers.local import LocalStore
from workers.settings import Settings

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


def run_docflow(
    env: dict[str, str], args: tuple[str, ...], timeout: float, *, ok: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the docflow CLI in env; unless ok=False, fail the test on a non-zero exit."""
    done = subprocess.run(
        [*DOCFLOW, *args],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0 or not ok, done.stderr
    return done


def push_event(client: redis.Redis, s3: Any, env: dict[str, str], key: str, **fields: Any) -> None:
    """Push the object-created event MinIO would push for the object now at key."""
    bucket = env["DOCFLOW_INGEST_BUCKET"]
    head = s3.head_object(Bucket=bucket, Key=key)
    event = access_event(
        bucket, key, etag=head["ETag"].strip('"'), size=head["ContentLength"], **fields
    )
    client.rpush(env["DOCFLOW_EVENTS_KEY"], event)


def deployment_env(
    s3_env: dict[str, str], broker_url: str, name: str, **settings: str
) -> dict[str, str]:
    """The environment of one test deployment: its broker, own buckets and events list."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCFLOW_")}
    return (
        env
        | s3_env
        | {
            "DOCFLOW_BROKER_URL": broker_url,
            "DOCFLOW_INGEST_BUCKET": f"docflow-{name}-in",
            "DOCFLOW_OUTPUT_BUCKET": f"docflow-{name}-out",
            "DOCFLOW_EVENTS_KEY": f"docflow:{name.replace('-', ':')}:events",
            "PYTHONPATH": str(ROOT),
        }
        | settings
    )


def with_buckets(env: dict[str, str], endpoint: str) -> Any:
    """An S3 client for the test at endpoint, with the deployment's two buckets created."""
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY"),
        region_name=env.get("AWS_DEFAULT_REGION", "us-east-1"),
    )
    for bucket in (env["DOCFLOW_INGEST_BUCKET"], env["DOCFLOW_OUTPUT_BUCKET"]):
        s3.create_bucket(Bucket=bucket)
    return s3


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
        return run_docflow(self.env, args, timeout=120)

    def start(self, name: str, command: list[str], **env: str) -> Process:
        """Start another process, with extra environment, that the stack stops at the end."""
        process = start(name, command, self.env | env, self.logs)
        self.processes.append(process)
        return process

    def notify(self, key: str) -> None:
        """Push the object-created event MinIO would push for the object now at key."""
        push_event(self.redis, self.s3, self.env, key)

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
    # Retries in seconds rather than a minute, so the suite stays quick.
    env = deployment_env(
        s3_env, redis_url, f"it-{run}", DOCFLOW_RETRY_BACKOFF="1", DOCFLOW_RETRY_BACKOFF_MAX="2"
    )
    s3 = with_buckets(env, env["DOCFLOW_S3_ENDPOINT_URL"])
    buckets = (env["DOCFLOW_INGEST_BUCKET"], env["DOCFLOW_OUTPUT_BUCKET"])
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


# --- Fault injection: services a test may kill, stop and restart without harming the others.

# Short enough that an unacknowledged message comes back within a test, long enough to
# satisfy the app's check: over DOCFLOW_TASK_TIME_LIMIT + DOCFLOW_RETRY_BACKOFF_MAX.
FAULT_SETTINGS = {
    # One key per process message, as from events: the tests below that want batches (as
    # sweep and reprocess send by default) ask for them.
    "DOCFLOW_BATCH_DOCS": "1",
    "DOCFLOW_VISIBILITY_TIMEOUT": "12",
    "DOCFLOW_TASK_SOFT_TIME_LIMIT": "6",
    "DOCFLOW_TASK_TIME_LIMIT": "8",
    "DOCFLOW_RETRY_BACKOFF": "1",
    "DOCFLOW_RETRY_BACKOFF_MAX": "2",
}


@dataclass
class RedisServer:
    """A redis-server that can be killed and started again on the same port and data."""

    port: int
    data: Path
    logs: Path
    # "always" or "everysec" turn the append-only file on; "" runs without persistence.
    fsync: str = ""
    process: Process | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        """The broker URL of this server."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (again) and wait until it has loaded its data and answers."""
        persistence = (
            ("--appendonly", "yes", "--appendfsync", self.fsync)
            if self.fsync
            else ("--appendonly", "no")
        )
        command = [
            *(REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"),
            *("--dir", str(self.data), "--save", "", *persistence),
            *("--maxmemory-policy", "noeviction"),
        ]
        self.starts += 1
        self.process = start(
            f"redis-{self.port}-{self.starts}", command, dict(os.environ), self.logs
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        wait_for("redis-server to answer", lambda: _pings(client), 30)

    def kill(self, signum: int = signal.SIGKILL) -> None:
        """Send a signal and wait for the server to be gone."""
        assert self.process is not None
        self.process.popen.send_signal(signum)
        self.process.popen.wait(timeout=30)

    def restart(self, signum: int = signal.SIGKILL) -> None:
        """Kill and start again on the same port from the same data directory."""
        self.kill(signum)
        self.start()

    def stop(self) -> None:
        """Stop for good at the end of a test."""
        if self.process is not None:
            self.process.stop()


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


class _Forward(BaseHTTPRequestHandler):
    """Pass one request to the S3 server, unless the gate says that bucket is failing."""

    # One request per connection, so closing the gate also ends every kept-alive client.
    protocol_version = "HTTP/1.0"
    server: "_GateServer"

    def _forward(self) -> None:
        bucket = urlsplit(self.path).path.lstrip("/").split("/", 1)[0]
        if bucket in self.server.gate.failing:
            body = b"<Error><Code>ServiceUnavailable</Code><Message>gate</Message></Error>"
            self.send_response(503)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection(*self.server.gate.upstream, timeout=60)
        try:
            upstream.request(self.command, self.path, body=body, headers=dict(self.headers))
            reply = upstream.getresponse()
            data = reply.read()
        finally:
            upstream.close()
        self.send_response(reply.status)
        for name, value in reply.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    # http.server's names for its per-method handlers.
    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _forward  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the service's own logs say what it saw."""


class _GateServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, gate: "S3Gate") -> None:
        super().__init__(("127.0.0.1", port), _Forward)
        self.gate = gate


class S3Gate:
    """A proxy in front of the S3 server that a test can take down and bring back.

    Down, nothing listens on its port (connections are refused, as when the S3 server is
    stopped); a failing bucket answers 503 to every request while the rest still work. The
    S3 server behind keeps its objects, which a restarted moto would not.
    """

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.port = free_port()
        self.failing: set[str] = set()
        self._server: _GateServer | None = None
        self.up()

    @property
    def url(self) -> str:
        """The endpoint URL the service is given."""
        return f"http://127.0.0.1:{self.port}"

    def up(self) -> None:
        """Listen again on the same port."""
        if self._server is None:
            self._server = _GateServer(self.port, self)
            threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def down(self) -> None:
        """Stop listening: every new connection is refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@dataclass
class Service:
    """A private service for one fault test: its own Redis, buckets, S3 gate and workers."""

    env: dict[str, str]
    s3: Any
    ingest_bucket: str
    output_bucket: str
    redis_server: RedisServer
    gate: S3Gate
    logs: Path
    workers: dict[str, Process] = field(default_factory=dict)
    # Every worker ever started, restarted ones too, for counting what they did.
    worker_runs: list[Process] = field(default_factory=list)
    processes: list[Process] = field(default_factory=list)
    bridge: Process | None = None

    @property
    def redis(self) -> redis.Redis:
        """A client for the service's Redis (reconnects after a restart)."""
        return redis.Redis.from_url(self.redis_server.url, socket_timeout=10)

    def start(self, name: str, command: list[str], **env: str) -> Process:
        """Start a process with the service's environment; stopped at the end of the test."""
        run = self.env["DOCFLOW_EVENTS_KEY"].split(":")[2]
        process = start(f"{run}-{name}-{len(self.processes)}", command, self.env | env, self.logs)
        self.processes.append(process)
        return process

    def start_worker(self, name: str = "w", *, wait: bool = True, **env: str) -> Process:
        """A prefork worker with one child on both queues, replacing any of the same name."""
        worker = self.start(
            name,
            [
                *(*CELERY, "worker", "-Q", "docflow.ingest,docflow.process", "--pool", "prefork"),
                *("--concurrency", "1", "--hostname", f"{name}-{len(self.processes)}@%h"),
                *("--loglevel", "INFO", "--without-mingle", "--without-gossip"),
            ],
            **env,
        )
        self.workers[name] = worker
        self.worker_runs.append(worker)
        if wait:
            wait_for(f"worker {name} to load its model", lambda: worker.count("worker child ready"))
        return worker

    def start_bridge(self, name: str = "main") -> Process:
        """The events bridge under a name; a new one under the same name recovers its events."""
        bridge = self.start(f"bridge-{name}", [*DOCFLOW, "events", "--name", name])
        wait_for("the bridge", lambda: bridge.count("bridge .* -> ingest tasks"))
        self.bridge = bridge
        return bridge

    def kill_worker(self, name: str = "w") -> None:
        """SIGKILL a whole worker: the main process and its pool children."""
        worker = self.workers[name]
        os.killpg(worker.popen.pid, signal.SIGKILL)
        worker.popen.wait(timeout=10)

    def children(self, name: str = "w") -> list[int]:
        """The pool processes of a worker."""
        pid = self.workers[name].popen.pid
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]

    def docflow(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the docflow CLI against the service; fail the test on a non-zero exit."""
        return run_docflow(self.env, args, timeout=300)

    def put(self, key: str, body: bytes) -> str:
        """Drop an object in the ingest bucket (bypassing the gate); its etag."""
        content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
        reply = self.s3.put_object(
            Bucket=self.ingest_bucket, Key=key, Body=body, ContentType=content_type
        )
        return str(reply["ETag"]).strip('"')

    def notify(self, key: str, **fields: Any) -> None:
        """Push the object-created event MinIO would push for the object now at key."""
        push_event(self.redis, self.s3, self.env, key, **fields)

    def outputs(self) -> dict[str, list[str]]:
        """Input key -> the kinds of output it has ("enriched", "failed")."""
        found: dict[str, list[str]] = {}
        for kind in ("enriched", "failed"):
            pages = self.s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.output_bucket, Prefix=f"{kind}/"
            )
            for page in pages:
                for item in page.get("Contents", []):
                    key = item["Key"].removeprefix(f"{kind}/").removesuffix(".json")
                    found.setdefault(key, []).append(kind)
        return found

    def output(self, key: str) -> tuple[str, dict[str, Any]]:
        """The one output of an input key: its kind and its JSON."""
        kinds = self.outputs().get(key, [])
        assert len(kinds) == 1, f"{key}: outputs {kinds}"
        return kinds[0], self.read(kinds[0], key)

    def read(self, kind: str, key: str) -> dict[str, Any]:
        """The JSON of kind ("enriched" or "failed") for an input key."""
        body = self.s3.get_object(Bucket=self.output_bucket, Key=f"{kind}/{key}.json")
        document: dict[str, Any] = json.loads(body["Body"].read())
        return document

    def wait_outputs(self, keys: list[str], timeout: float = WAIT_SECONDS) -> None:
        """Wait until every key has an output."""

        def missing() -> bool:
            have = self.outputs()
            return all(key in have for key in keys)

        wait_for(f"outputs for {len(keys)} keys", missing, timeout)

    def processed(self, key: str) -> int:
        """How many runs of process finished key (any outcome), over every worker."""
        pattern = rf"process {re.escape(key)}: (enriched|failed)$"
        return sum(worker.count(pattern) for worker in self.worker_runs)

    def log_count(self, pattern: str) -> int:
        """Matching lines over every process the service started."""
        return sum(p.count(pattern) for p in self.processes)


@pytest.fixture
def service(s3_env: dict[str, str], logs: Path, tmp_path: Path) -> Iterator[Callable[..., Service]]:
    """Make a Service (no worker started yet); everything it started is stopped after."""
    made: list[Service] = []

    def make(fsync: str = "always", **settings: str) -> Service:
        run = uuid.uuid4().hex[:8]
        server = RedisServer(free_port(), tmp_path / f"redis-{run}", logs, fsync)
        server.data.mkdir()
        server.start()
        gate = S3Gate(s3_env["DOCFLOW_S3_ENDPOINT_URL"])
        # The service reaches S3 through the gate; the test itself goes around it.
        env = deployment_env(
            s3_env,
            server.url,
            f"ft-{run}",
            **(FAULT_SETTINGS | settings | {"DOCFLOW_S3_ENDPOINT_URL": gate.url}),
        )
        s3 = with_buckets(env, s3_env["DOCFLOW_S3_ENDPOINT_URL"])
        made.append(
            Service(
                env=env,
                s3=s3,
                ingest_bucket=env["DOCFLOW_INGEST_BUCKET"],
                output_bucket=env["DOCFLOW_OUTPUT_BUCKET"],
                redis_server=server,
                gate=gate,
                logs=logs,
            )
        )
        return made[-1]

    yield make
    for service in made:
        for process in reversed(service.processes):
            process.stop()
        service.gate.down()
        service.redis_server.stop()
        for bucket in (service.ingest_bucket, service.output_bucket):
            _empty_and_delete(service.s3, bucket)


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


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    """A document or failure record without what differs from run to run and store to store."""
    if "error" in document:
        return {"doc_id": document["doc_id"], "code": document["error"]["code"]}
    pipeline = {
        k: v for k, v in document["pipeline"].items() if k not in ("processed_at", "timings_ms")
    }
    return document | {"pipeline": pipeline, "source": {}}
