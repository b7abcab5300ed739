"""The service as real processes on free ports: redis-server, S3, Celery workers, bridge, Flower."""

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
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import boto3
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
MOTO_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
WAIT_SECONDS = 90.0


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def listening(port: int) -> bool:
    """True once something accepts connections on the port."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


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

    def children(self) -> list[int]:
        """Its live child processes, a prefork worker's pool (Linux: from /proc)."""
        pid = self.popen.pid
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]

    def stop(self) -> None:
        """SIGTERM (a warm shutdown for Celery), SIGKILL its group if that takes too long."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)


def start_process(name: str, command: list[str], env: Mapping[str, str], logs: Path) -> Process:
    """Start a command in its own process group, output to logs/name.log."""
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Process(name, popen, log)


def run_docflow(
    env: dict[str, str], args: tuple[str, ...], timeout: float, *, ok: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the docflow CLI in env; unless ok=False, fail the test on a non-zero exit."""
    done = subprocess.run([*DOCFLOW, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)  # fmt: skip
    assert done.returncode == 0 or not ok, done.stderr
    return done


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
        self.process = start_process(
            f"redis-{self.port}-{self.starts}", command, os.environ, self.logs
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
        """Stop for good."""
        if self.process is not None:
            self.process.stop()


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


@contextmanager
def running_redis(data: Path, logs: Path, fsync: str = "") -> Iterator[RedisServer]:
    """A private redis-server (never the shared one on 6379) on a free port, data in data."""
    data.mkdir(parents=True, exist_ok=True)
    server = RedisServer(free_port(), data, logs, fsync)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class S3Endpoint:
    """An S3 endpoint over HTTP and the environment a client needs for it."""

    env: dict[str, str]
    # moto's server, when started here; None for a real endpoint.
    server: Process | None = None

    @property
    def url(self) -> str:
        """The endpoint URL."""
        return self.env["DOCFLOW_S3_ENDPOINT_URL"]


@contextmanager
def running_s3(logs: Path, url: str | None = None) -> Iterator[S3Endpoint]:
    """The real endpoint at url (MinIO, say), else moto's server over HTTP on a free port."""
    if url:
        yield S3Endpoint({"DOCFLOW_S3_ENDPOINT_URL": url})
        return
    # A process of its own, not ThreadedMotoServer: in this process, any test's mock_aws
    # would reset the shared moto state and take the service's buckets with it, and a
    # benchmark's client would share the GIL with it.
    port = free_port()
    server = start_process(
        "moto",
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        os.environ,
        logs,
    )
    try:
        wait_for("the moto server", lambda: listening(port), 30)
        yield S3Endpoint(
            {"DOCFLOW_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}"} | MOTO_CREDENTIALS, server
        )
    finally:
        server.stop()


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


def empty_and_delete(s3: Any, bucket: str) -> None:
    """Delete every object of a bucket, then the bucket."""
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=item["Key"])
    s3.delete_bucket(Bucket=bucket)


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
        request = self.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection(*self.server.gate.upstream, timeout=60)
        try:
            upstream.request(self.command, self.path, body=request, headers=dict(self.headers))
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
    """A running deployment: its environment, buckets, Redis, and the processes it started."""

    name: str
    env: dict[str, str]
    # Straight to the S3 endpoint, around any gate: what the test itself sees.
    s3: Any
    ingest_bucket: str
    output_bucket: str
    logs: Path
    redis_server: RedisServer
    cli_timeout: float
    s3_gate: S3Gate | None = None
    flower_address: str | None = None
    workers: dict[str, Process] = field(default_factory=dict)
    # Every worker ever started, restarted ones too, for counting what they did.
    worker_runs: list[Process] = field(default_factory=list)
    bridges: dict[str, Process] = field(default_factory=dict)
    processes: list[Process] = field(default_factory=list)

    @property
    def redis(self) -> redis.Redis:
        """A client for the service's Redis (reconnects after a restart)."""
        return redis.Redis.from_url(self.redis_server.url, socket_timeout=10)

    @property
    def gate(self) -> S3Gate:
        """The S3 fault gate the service reaches S3 through (made with gate=True)."""
        assert self.s3_gate is not None, f"{self.name} has no S3 gate"
        return self.s3_gate

    @property
    def flower_url(self) -> str:
        """Flower's address (made with flower=True)."""
        assert self.flower_address is not None, f"{self.name} has no Flower"
        return self.flower_address

    @property
    def worker(self) -> Process:
        """The worker started last under the default name."""
        return self.workers["w"]

    @property
    def bridge(self) -> Process:
        """The bridge started last under the default name."""
        return self.bridges["main"]

    def start(self, name: str, command: list[str], **env: str) -> Process:
        """Start a process with the service's environment; stopped when the service is."""
        return self._spawn(self._label(name), command, env)

    def _label(self, name: str) -> str:
        """A process name no other process of any service in this run has."""
        return f"{self.name}-{name}-{len(self.processes)}"

    def _spawn(self, label: str, command: list[str], env: Mapping[str, str]) -> Process:
        process = start_process(label, command, self.env | dict(env), self.logs)
        self.processes.append(process)
        return process

    def start_worker(
        self, name: str = "w", *, concurrency: int = 1, wait: bool = True, **env: str
    ) -> Process:
        """A prefork worker on both queues, named as its Celery node; replaces any of the name."""
        label = self._label(name)
        command = [
            *(*CELERY, "worker", "-Q", "docflow.ingest,docflow.process", "--pool", "prefork"),
            *("--concurrency", str(concurrency), "--hostname", f"{label}@%h"),
            *("--loglevel", "INFO", "--without-mingle", "--without-gossip"),
        ]
        worker = self._spawn(label, command, env)
        self.workers[name] = worker
        self.worker_runs.append(worker)
        if wait:
            wait_for(
                f"every child of worker {name} to load its model",
                lambda: worker.count("worker child ready") >= concurrency,
            )
        return worker

    def start_bridge(self, name: str = "main") -> Process:
        """The events bridge under a name; a new one under the same name recovers its events."""
        bridge = self.start(f"bridge-{name}", [*DOCFLOW, "events", "--name", name])
        wait_for("the bridge", lambda: bridge.count("bridge .* -> ingest tasks"))
        self.bridges[name] = bridge
        return bridge

    def start_flower(self) -> Process:
        """Flower behind FLOWER_LOGIN on a free port."""
        port = free_port()
        flower = self.start(
            "flower",
            [
                *(*CELERY, "flower", f"--port={port}", "--address=127.0.0.1"),
                f"--basic-auth={':'.join(FLOWER_LOGIN)}",
            ],
        )
        wait_for("flower", lambda: flower.count("Visit me at"))
        self.flower_address = f"http://127.0.0.1:{port}"
        return flower

    def kill_worker(self, name: str = "w") -> None:
        """SIGKILL a whole worker: the main process and its pool children."""
        worker = self.workers[name]
        os.killpg(worker.popen.pid, signal.SIGKILL)
        worker.popen.wait(timeout=10)

    def docflow(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the docflow CLI against the service; fail the test on a non-zero exit."""
        return run_docflow(self.env, args, timeout=self.cli_timeout)

    def put(self, key: str, body: bytes) -> str:
        """Drop an object in the ingest bucket (bypassing any gate); its etag."""
        content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
        reply = self.s3.put_object(
            Bucket=self.ingest_bucket, Key=key, Body=body, ContentType=content_type
        )
        return str(reply["ETag"]).strip('"')

    def notify(self, key: str, **fields: Any) -> None:
        """Push the object-created event MinIO would push for the object now at key."""
        head = self.s3.head_object(Bucket=self.ingest_bucket, Key=key)
        event = access_event(
            self.ingest_bucket,
            key,
            etag=head["ETag"].strip('"'),
            size=head["ContentLength"],
            **fields,
        )
        self.redis.rpush(self.env["DOCFLOW_EVENTS_KEY"], event)

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

    def read(self, kind: str, key: str) -> dict[str, Any]:
        """The JSON of kind ("enriched" or "failed") for an input key, there now."""
        body = self.s3.get_object(Bucket=self.output_bucket, Key=f"{kind}/{key}.json")
        document: dict[str, Any] = json.loads(body["Body"].read())
        return document

    def sole_output(self, key: str) -> tuple[str, dict[str, Any]]:
        """The one output of an input key, there now: its kind and its JSON."""
        kinds = self.outputs().get(key, [])
        assert len(kinds) == 1, f"{key}: outputs {kinds}"
        return kinds[0], self.read(kinds[0], key)

    def wait_output(self, kind: str, key: str, timeout: float = WAIT_SECONDS) -> dict[str, Any]:
        """Wait until an input key has an output of kind; its JSON."""

        def read() -> dict[str, Any] | None:
            try:
                return self.read(kind, key)
            except ClientError:
                return None

        return wait_for(f"s3://{self.output_bucket}/{kind}/{key}.json", read, timeout)

    def wait_outputs(self, keys: list[str], timeout: float = WAIT_SECONDS) -> None:
        """Wait until every key has an output, of either kind."""

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

    def stop(self) -> None:
        """Stop every process it started, the last first."""
        for process in reversed(self.processes):
            process.stop()


@contextmanager
def running_service(
    endpoint: S3Endpoint,
    logs: Path,
    *,
    name: str,
    shared_redis: RedisServer | None = None,
    fsync: str = "always",
    gate: bool = False,
    flower: bool = False,
    settings: Mapping[str, str] | None = None,
    cli_timeout: float = 300,
) -> Iterator[Service]:
    """A deployment with buckets of its own and no worker yet; everything is gone after.

    shared_redis: the broker to share, or None for a private redis-server whose
    append-only file is fsynced as fsync says. gate: reach S3 through an S3Gate the test
    can break. flower: start Flower behind FLOWER_LOGIN. settings: DOCFLOW_ variables.
    cli_timeout: seconds a `docflow` command may take.
    """
    label = f"{name}-{uuid.uuid4().hex[:8]}"
    with ExitStack() as cleanup:
        broker = shared_redis or cleanup.enter_context(
            running_redis(logs / f"{label}-redis", logs, fsync)
        )
        s3_gate = S3Gate(endpoint.url) if gate else None
        if s3_gate is not None:
            cleanup.callback(s3_gate.down)
        # The service reaches S3 through the gate; the test itself goes around it.
        through = {"DOCFLOW_S3_ENDPOINT_URL": s3_gate.url} if s3_gate else {}
        env = deployment_env(endpoint.env, broker.url, label, **{**(settings or {}), **through})
        s3 = with_buckets(env, endpoint.url)
        buckets = (env["DOCFLOW_INGEST_BUCKET"], env["DOCFLOW_OUTPUT_BUCKET"])
        for bucket in buckets:
            cleanup.callback(empty_and_delete, s3, bucket)
        service = Service(label, env, s3, *buckets, logs, broker, cli_timeout, s3_gate)
        cleanup.callback(service.stop)
        if flower:
            service.start_flower()
        yield service


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    """A document or failure record without what differs from run to run and store to store."""
    if "error" in document:
        return {"doc_id": document["doc_id"], "code": document["error"]["code"]}
    pipeline = {
        k: v for k, v in document["pipeline"].items() if k not in ("processed_at", "timings_ms")
    }
    return document | {"pipeline": pipeline, "source": {}}
