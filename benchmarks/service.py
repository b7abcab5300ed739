"""Service overhead and scaling: Redis + Celery prefork + S3 over HTTP vs the in-process run.

Usage: python -m benchmarks.service [--docs N] [--workers 1 2] [-v]
       (full size: --docs 500)

For each worker count c it starts, on free loopback ports, one redis-server and one moto
S3 server (a process of its own, so it does not share the GIL with this client), then:

- service: a `celery -A tasks.app worker --pool prefork --concurrency c` on both queues,
  waits until every child has loaded its model, then times from `docflow submit` (upload
  of N plain-text articles to the ingest bucket) and `docflow sweep` (process_batch tasks
  of DOCFLOW_BATCH_DOCS keys each) until the worker has logged the last output written;
- in-process: c forked processes, each with its model loaded, running
  workers.batch.process_keys over local folders on the same N documents, in batches of
  DOCFLOW_BATCH_DOCS as `docflow run` does.

It reports docs/s of both, their ratio, the 2-vs-1 scaling, and the CPU seconds the moto
S3 server, redis-server and the worker spent, since they share this machine's cores.

Latency (--latency-docs, default 50; 0 skips it): one warm worker child and the events
bridge; each document is put in the ingest bucket and its bucket event pushed to the
events list as MinIO would, one at a time, and timed from the push until the worker logs
its output written. Beside it: the pipeline's own stage times inside the worker (the
output's timings_ms) and `process_key` of the same document in this process over local
folders (read, clean, segment, tag, render, write) right after each, the target's
yardstick.
"""

import json
import multiprocessing
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import boto3
import redis

from benchmarks.common import arguments, docflow_model, rss_mb, setup_logging, table
from benchmarks.corpus import ROOT, describe, plain_corpus, write_inputs
from tasks.app import app
from tasks.enqueue import chunks
from tasks.service import start_sweep
from tasks.submit import submit
from tests.events import access_event
from tests.integration.conftest import (
    CELERY,
    DOCFLOW,
    REDIS_SERVER,
    Process,
    free_port,
    listening,
    start,
    wait_for,
)
from workers.batch import Outcome, process_key, process_keys
from workers.local import LocalStore
from workers.settings import Settings, get_settings

DEFAULT_DOCS = 60
LATENCY_DOCS = 50
TARGET_OVERHEAD = 0.75
TARGET_SCALING = 1.6
TARGET_LATENCY = 1.3  # event-to-output p50 over the pipeline's own p50
_WARM_DOCS = 3  # latency documents sent first and not counted: every connection open
_POLL_SECONDS = 0.002
_ROUND_TRIPS = 30  # S3 HEADs timed after the latency run
_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "benchmark",
    "AWS_SECRET_ACCESS_KEY": "benchmark",
    "AWS_DEFAULT_REGION": "us-east-1",
}
_TICKS = os.sysconf("SC_CLK_TCK")
_DONE = re.compile(r"process \S+: (enriched|failed|skipped|missing)$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class ServiceRun:
    """One worker count: wall seconds of each phase and CPU seconds of each helper process."""

    workers: int
    documents: int
    upload_seconds: float
    sweep_seconds: float
    total_seconds: float
    in_process_seconds: float
    s3_cpu: float
    redis_cpu: float
    worker_cpu: float
    child_rss_mb: float

    @property
    def service_rate(self) -> float:
        """Documents per second from submit to the last output."""
        return self.documents / self.total_seconds

    @property
    def in_process_rate(self) -> float:
        """Documents per second of the same number of in-process workers."""
        return self.documents / self.in_process_seconds

    @property
    def overhead(self) -> float:
        """Service docs/s over in-process docs/s."""
        return self.service_rate / self.in_process_rate


def cpu_seconds(pid: int) -> float:
    """User + system CPU a live process (and its reaped children) has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command name: utime, stime, cutime, cstime are fields 12-15 (from 1).
    return sum(int(value) for value in fields[11:15]) / _TICKS


def children(pid: int) -> list[int]:
    """A process's live children (a prefork worker's pool)."""
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its live children."""
    return cpu_seconds(pid) + sum(cpu_seconds(child) for child in children(pid))


@dataclass
class Services:
    """redis-server and moto's S3 server on free ports, and what a client needs for them."""

    redis: Process
    s3: Process
    broker_url: str
    endpoint: str

    def settings(self, run: str) -> Settings:
        """docflow settings for buckets of this run's own."""
        return Settings(
            broker_url=self.broker_url,
            s3_endpoint_url=self.endpoint,
            ingest_bucket=f"bench-{run}-in",
            output_bucket=f"bench-{run}-out",
        )

    def stop(self) -> None:
        """Stop both servers."""
        for process in (self.s3, self.redis):
            process.stop()


def start_services(logs: Path) -> Services:
    """Start redis-server (no persistence) and moto's server, and wait until both answer."""
    env = dict(os.environ)
    redis_port, s3_port = free_port(), free_port()
    redis = start(
        "redis",
        [REDIS_SERVER, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(logs)],
        env,
        logs,
    )  # fmt: skip
    s3 = start(
        "moto",
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(s3_port)],
        env | _CREDENTIALS,
        logs,
    )
    wait_for("redis-server", lambda: listening(redis_port), 20)
    wait_for("the moto server", lambda: listening(s3_port), 30)
    return Services(redis, s3, f"redis://127.0.0.1:{redis_port}/0", f"http://127.0.0.1:{s3_port}")


def worker_env(settings: Settings) -> dict[str, str]:
    """The environment of a worker process for these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCFLOW_")} | _CREDENTIALS
    return env | {
        "DOCFLOW_BROKER_URL": settings.broker_url,
        "DOCFLOW_S3_ENDPOINT_URL": settings.s3_endpoint_url or "",
        "DOCFLOW_INGEST_BUCKET": settings.ingest_bucket,
        "DOCFLOW_OUTPUT_BUCKET": settings.output_bucket,
        "PYTHONPATH": str(ROOT),
    }


def run_service(
    services: Services, folder: Path, workers: int, logs: Path
) -> tuple[tuple[float, float, float], tuple[float, ...]]:
    """Upload, sweep, wait for every output.

    Returns (upload, sweep, total) seconds and (S3, redis, worker) CPU seconds plus the
    largest worker child's RSS in MB.
    """
    settings = services.settings(uuid.uuid4().hex[:8])
    s3 = boto3.client("s3", endpoint_url=services.endpoint, **_boto_credentials())
    for bucket in (settings.ingest_bucket, settings.output_bucket):
        s3.create_bucket(Bucket=bucket)
    keys = sorted(path.name for path in folder.iterdir())
    worker = start(
        f"worker-{workers}",
        [*CELERY, "worker", "-Q", "docflow.ingest,docflow.process", "--pool", "prefork",
         "--concurrency", str(workers), "--loglevel", "INFO", "--without-gossip",
         "--without-mingle", "--hostname", f"bench-{workers}@%h"],
        worker_env(settings),
        logs,
    )  # fmt: skip
    try:
        wait_for("every worker child to load its model",
                 lambda: worker.count("worker child ready") >= workers, 120)  # fmt: skip
        before = _cpu(services, worker)
        started = time.perf_counter()
        submit(((LocalStore(folder), key) for key in keys), settings)
        uploaded = time.perf_counter()
        start_sweep(settings)
        swept = time.perf_counter()
        wait_for("the last output", lambda: len(_DONE.findall(worker.text())) >= len(keys), 3600)
        finished = time.perf_counter()
        now = _cpu(services, worker)
        cpu = tuple(after - start for after, start in zip(now, before, strict=True))
        largest_child = max(rss_mb(child) for child in children(worker.popen.pid))
    finally:
        worker.stop()
    enriched = len(re.findall(r"process \S+: enriched$", worker.text(), re.MULTILINE))
    if enriched != len(keys):
        raise RuntimeError(f"only {enriched} of {len(keys)} documents were enriched")
    return (uploaded - started, swept - uploaded, finished - started), (*cpu, largest_child)


def _cpu(services: Services, worker: Process) -> tuple[float, float, float]:
    """CPU seconds so far of the S3 server, redis-server and the worker with its children."""
    return (
        cpu_seconds(services.s3.popen.pid),
        cpu_seconds(services.redis.popen.pid),
        tree_cpu(worker.popen.pid),
    )


_INBOX: LocalStore
_OUTBOX: LocalStore


def _warm(inbox: Path, outbox: Path, key: str, ready: "multiprocessing.Queue[int]") -> None:
    """Pool initializer: load the model and enrich one document, like a ready worker child."""
    global _INBOX, _OUTBOX
    _INBOX, _OUTBOX = LocalStore(inbox), LocalStore(outbox)
    settings = get_settings()
    docflow_model(settings)
    process_key(_INBOX, LocalStore(outbox.parent / f"warm-{os.getpid()}"), key, settings)
    ready.put(os.getpid())


def _enrich(keys: list[str]) -> list[str]:
    outcomes = process_keys(_INBOX, _OUTBOX, keys, get_settings())
    return [o.status if isinstance(o, Outcome) else o.code for o in outcomes]


def run_in_process(folder: Path, workers: int, workdir: Path) -> float:
    """Seconds for workers forked processes to enrich every file of folder, in batches."""
    keys = sorted(path.name for path in folder.iterdir())
    outbox = workdir / f"in-process-{workers}" / "out"
    context = multiprocessing.get_context("fork")
    ready = context.Queue()
    with context.Pool(workers, _warm, (folder, outbox, keys[0], ready)) as pool:
        # Start the clock once every child has its model loaded, as the service run does.
        for _ in range(workers):
            ready.get(timeout=300)
        started = time.perf_counter()
        batches = list(chunks(keys, get_settings().batch_docs))
        statuses = [s for batch in pool.map(_enrich, batches, chunksize=1) for s in batch]
        seconds = time.perf_counter() - started
    if statuses.count("enriched") != len(keys):
        raise RuntimeError(f"in-process run enriched {statuses.count('enriched')} of {len(keys)}")
    return seconds


@dataclass(frozen=True, slots=True)
class Latency:
    """Seconds per document: event to output, the worker's stages, and in-process."""

    event_to_output: list[float]
    stages: list[float]
    in_process: list[float]
    round_trips: list[float]  # HEADs of one output from this process: one S3 request each

    @property
    def p50(self) -> float:
        """Median event-to-output seconds."""
        return statistics.median(self.event_to_output)

    @property
    def p90(self) -> float:
        """90th percentile event-to-output seconds."""
        return statistics.quantiles(self.event_to_output, n=10, method="inclusive")[-1]

    @property
    def ratio(self) -> float:
        """Event-to-output p50 over the in-process pipeline's p50 for the same documents."""
        return self.p50 / statistics.median(self.in_process)

    @property
    def share(self) -> float:
        """The share of event-to-output time that is the worker's pipeline stages."""
        return sum(self.stages) / sum(self.event_to_output)


class LogTail:
    """New lines of a growing log file, read from where the last look stopped."""

    def __init__(self, path: Path) -> None:
        self.file = path.open("rb")
        self.file.seek(0, os.SEEK_END)
        self.pending = b""  # the start of a line not yet written whole

    def wait_for(self, line: str, timeout: float = 120) -> float:
        """Poll until a line equal to line's end appears; the perf_counter it was seen at."""
        wanted = line.encode()
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            *done, self.pending = (self.pending + self.file.read()).split(b"\n")
            if any(text.endswith(wanted) for text in done):
                return time.perf_counter()
            time.sleep(_POLL_SECONDS)
        raise TimeoutError(f"no {line!r} within {timeout} s")


def measure_latency(
    services: Services, folder: Path, documents: int, logs: Path, workdir: Path
) -> Latency:
    """Event-to-output seconds of documents sent one at a time to a warm worker."""
    settings = services.settings(uuid.uuid4().hex[:8])
    s3 = boto3.client("s3", endpoint_url=services.endpoint, **_boto_credentials())
    for bucket in (settings.ingest_bucket, settings.output_bucket):
        s3.create_bucket(Bucket=bucket)
    keys = sorted(path.name for path in folder.iterdir())[: documents + _WARM_DOCS]
    env = worker_env(settings) | {"DOCFLOW_EVENTS_KEY": f"bench:{uuid.uuid4().hex[:8]}:events"}
    worker = start(
        "latency-worker",
        [*CELERY, "worker", "-Q", "docflow.ingest,docflow.process", "--pool", "prefork",
         "--concurrency", "1", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
         "--hostname", "bench-latency@%h"],
        env,
        logs,
    )  # fmt: skip
    bridge = start("latency-bridge", [*DOCFLOW, "events"], env, logs)
    client = redis.Redis.from_url(services.broker_url)
    docflow_model(settings)
    inbox, outbox = LocalStore(folder), LocalStore(workdir / "latency-in-process")
    seconds, stages, in_process = [], [], []
    try:
        wait_for("the worker child to load its model",
                 lambda: worker.count("worker child ready") >= 1, 120)  # fmt: skip
        wait_for("the bridge", lambda: bridge.count("bridge .* -> ingest tasks"), 60)
        tail = LogTail(worker.log)
        for index, key in enumerate(keys):
            data = (folder / key).read_bytes()
            etag = s3.put_object(Bucket=settings.ingest_bucket, Key=key, Body=data)["ETag"]
            event = access_event(settings.ingest_bucket, key, etag=etag.strip('"'), size=len(data))
            sent = time.perf_counter()
            client.rpush(env["DOCFLOW_EVENTS_KEY"], event)
            seen = tail.wait_for(f"process {key}: enriched")
            # The same document in this process right after, so machine noise hits both.
            started = time.perf_counter()
            outcome = process_key(inbox, outbox, key, settings)
            done = time.perf_counter()
            if outcome.status != "enriched":
                raise RuntimeError(f"in-process {key}: {outcome.status}")
            if index < _WARM_DOCS:
                continue
            seconds.append(seen - sent)
            in_process.append(done - started)
            body = s3.get_object(Bucket=settings.output_bucket, Key=f"enriched/{key}.json")
            timings = json.loads(body["Body"].read())["pipeline"]["timings_ms"]
            stages.append(sum(timings.values()) / 1000)
        # What one request costs here (botocore's side and the server's): the event path
        # makes five of them (ingest's three HEADs in flight, the GET and the PUT).
        round_trips = []
        for _ in range(_ROUND_TRIPS):
            started = time.perf_counter()
            s3.head_object(Bucket=settings.output_bucket, Key=f"enriched/{keys[-1]}.json")
            round_trips.append(time.perf_counter() - started)
    finally:
        bridge.stop()
        worker.stop()
    return Latency(seconds, stages, in_process, round_trips)


def _boto_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": _CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": _CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "region_name": _CREDENTIALS["AWS_DEFAULT_REGION"],
    }


def measure(
    documents: int, worker_counts: Sequence[int], workdir: Path, latency_docs: int = 0
) -> tuple[list[ServiceRun], Latency | None]:
    """Service and in-process runs for each worker count, then latency, on plain text."""
    folder = workdir / "inputs"
    write_inputs(plain_corpus(max(documents, latency_docs + _WARM_DOCS)), folder)
    logs = workdir / "logs"
    logs.mkdir()
    services = start_services(logs)
    os.environ.update(_CREDENTIALS)
    # The client side publishes through tasks.app, configured at import for the default broker.
    app.conf.broker_url = services.broker_url
    results = []
    latency = None
    try:
        for workers in worker_counts:
            phases, usage = run_service(services, folder, workers, logs)
            in_process = run_in_process(folder, workers, workdir)
            results.append(ServiceRun(workers, documents, *phases, in_process, *usage))
        if latency_docs:
            latency = measure_latency(services, folder, latency_docs, logs, workdir)
    finally:
        services.stop()
    return results, latency


def report(runs: Sequence[ServiceRun]) -> str:
    """The overhead table, the CPU the helpers took and the scaling ratio."""
    speed = table(
        "Service (submit -> last output, Redis + Celery prefork + moto S3 over HTTP) vs in-process",
        ["workers", "docs", "upload s", "sweep s", "total s", "service docs/s",
         "in-process docs/s", "ratio"],
        [(r.workers, r.documents, r.upload_seconds, r.sweep_seconds, r.total_seconds,
          r.service_rate, r.in_process_rate, r.overhead) for r in runs],
    )  # fmt: skip
    cpu = table(
        "CPU seconds spent during the service run (2 cores shared by all)",
        ["workers", "wall s", "moto S3", "redis", "celery worker", "S3 share of wall x cores",
         "worker child RSS MB"],
        [(r.workers, r.total_seconds, r.s3_cpu, r.redis_cpu, r.worker_cpu,
          f"{100 * r.s3_cpu / (r.total_seconds * (os.cpu_count() or 1)):.1f}%", r.child_rss_mb)
         for r in runs],
    )  # fmt: skip
    lines = [speed, f"(target service/in-process >= {TARGET_OVERHEAD})", "", cpu]
    by_count = {r.workers: r for r in runs}
    if 1 in by_count and 2 in by_count:
        one, two = by_count[1], by_count[2]
        lines.append(
            f"\nscaling, 2 workers vs 1: service {two.service_rate / one.service_rate:.3f}, "
            f"in-process {two.in_process_rate / one.in_process_rate:.3f} "
            f"(target >= {TARGET_SCALING})"
        )
    return "\n".join(lines)


def latency_report(latency: Latency) -> str:
    """Event-to-output percentiles beside the pipeline's own time for the same documents."""
    ms = [1000 * second for second in latency.event_to_output]
    in_process = 1000 * statistics.median(latency.in_process)
    rows = table(
        f"Event to output, {len(ms)} documents one at a time, 1 warm worker child + bridge",
        ["p50 ms", "p90 ms", "max ms", "in-process p50 ms", "p50 / in-process",
         "pipeline stages share", "S3 request p50 ms"],
        [(1000 * latency.p50, 1000 * latency.p90, max(ms), in_process, latency.ratio,
          f"{100 * latency.share:.1f}%", 1000 * statistics.median(latency.round_trips))],
    )  # fmt: skip
    return f"{rows}\n(target p50 <= {TARGET_LATENCY} x in-process p50)"


def main() -> None:
    """Parse flags, measure, print."""
    parser = arguments(__doc__, DEFAULT_DOCS, 500, alternating=False)
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2], help="worker counts")
    parser.add_argument(
        "--latency-docs",
        type=int,
        default=LATENCY_DOCS,
        help=f"documents timed event to output (default {LATENCY_DOCS}; 0 skips)",
    )
    args = parser.parse_args()
    setup_logging(args.verbose)
    print(describe("plain", max(args.docs, args.latency_docs + _WARM_DOCS)))
    with tempfile.TemporaryDirectory(prefix="docflow-service-") as workdir:
        runs, latency = measure(args.docs, args.workers, Path(workdir), args.latency_docs)
    if runs:
        print(report(runs))
    if latency:
        print(latency_report(latency))


if __name__ == "__main__":
    main()
