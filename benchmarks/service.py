"""Service overhead and scaling: Redis + Celery prefork + S3 over HTTP vs the in-process run.

Usage: python -m benchmarks.service [--docs N] [--workers 1 2] [-v]
       (full size: --docs 500)

It starts, on free loopback ports, one redis-server and one moto S3 server (a process of
its own, so it does not share the GIL with this client), the ones the integration tests
use (tests/integration/harness.py); then for each worker count c, with buckets of its own:

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

import multiprocessing
import os
import re
import statistics
import tempfile
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import arguments, docflow_model, rss_mb, setup_logging, table
from benchmarks.corpus import describe, plain_corpus, write_inputs
from tasks.app import app
from tasks.enqueue import chunks
from tasks.service import start_sweep
from tasks.submit import submit
from tests.events import access_event
from tests.integration import harness
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


def tree_cpu(process: harness.Process) -> float:
    """CPU seconds of a process and its live children."""
    return cpu_seconds(process.popen.pid) + sum(cpu_seconds(c) for c in process.children())


@dataclass(frozen=True)
class Servers:
    """redis-server and moto's S3 server on free ports, shared by every run."""

    redis: harness.RedisServer
    s3: harness.S3Endpoint

    def service(self, logs: Path) -> AbstractContextManager[harness.Service]:
        """A deployment on these servers with buckets of its own, gone after."""
        return harness.running_service(self.s3, logs, name="bench", shared_redis=self.redis)

    def cpu(self) -> tuple[float, float]:
        """CPU seconds so far of the S3 server and redis-server."""
        assert self.s3.server is not None and self.redis.process is not None
        return cpu_seconds(self.s3.server.popen.pid), cpu_seconds(self.redis.process.popen.pid)


def client_settings(service: harness.Service) -> Settings:
    """docflow settings for this process to reach the service as its workers do."""
    return Settings(
        broker_url=service.redis_server.url,
        s3_endpoint_url=service.env["DOCFLOW_S3_ENDPOINT_URL"],
        ingest_bucket=service.ingest_bucket,
        output_bucket=service.output_bucket,
    )


def run_service(
    servers: Servers, folder: Path, workers: int, logs: Path
) -> tuple[tuple[float, float, float], tuple[float, ...]]:
    """Upload, sweep, wait for every output.

    Returns (upload, sweep, total) seconds and (S3, redis, worker) CPU seconds plus the
    largest worker child's RSS in MB.
    """
    keys = sorted(path.name for path in folder.iterdir())
    with servers.service(logs) as service:
        settings = client_settings(service)
        worker = service.start_worker(str(workers), concurrency=workers)
        before = (*servers.cpu(), tree_cpu(worker))
        started = time.perf_counter()
        submit(((LocalStore(folder), key) for key in keys), settings)
        uploaded = time.perf_counter()
        start_sweep(settings)
        swept = time.perf_counter()
        harness.wait_for(
            "the last output", lambda: len(_DONE.findall(worker.text())) >= len(keys), 3600
        )
        finished = time.perf_counter()
        now = (*servers.cpu(), tree_cpu(worker))
        cpu = tuple(after - start for after, start in zip(now, before, strict=True))
        largest_child = max(rss_mb(child) for child in worker.children())
    enriched = len(re.findall(r"process \S+: enriched$", worker.text(), re.MULTILINE))
    if enriched != len(keys):
        raise RuntimeError(f"only {enriched} of {len(keys)} documents were enriched")
    return (uploaded - started, swept - uploaded, finished - started), (*cpu, largest_child)


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
    servers: Servers, folder: Path, documents: int, logs: Path, workdir: Path
) -> Latency:
    """Event-to-output seconds of documents sent one at a time to a warm worker."""
    keys = sorted(path.name for path in folder.iterdir())[: documents + _WARM_DOCS]
    with servers.service(logs) as service:
        settings = client_settings(service)
        worker = service.start_worker("latency")
        service.start_bridge()
        client, s3, events = service.redis, service.s3, service.env["DOCFLOW_EVENTS_KEY"]
        docflow_model(settings)
        inbox, outbox = LocalStore(folder), LocalStore(workdir / "latency-in-process")
        seconds, stages, in_process = [], [], []
        tail = LogTail(worker.log)
        for index, key in enumerate(keys):
            data = (folder / key).read_bytes()
            etag = s3.put_object(Bucket=service.ingest_bucket, Key=key, Body=data)["ETag"]
            event = access_event(service.ingest_bucket, key, etag=etag.strip('"'), size=len(data))
            sent = time.perf_counter()
            client.rpush(events, event)
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
            timings = service.read("enriched", key)["pipeline"]["timings_ms"]
            stages.append(sum(timings.values()) / 1000)
        # What one request costs here (botocore's side and the server's): the event path
        # makes five of them (ingest's three HEADs in flight, the GET and the PUT).
        round_trips = []
        for _ in range(_ROUND_TRIPS):
            started = time.perf_counter()
            s3.head_object(Bucket=service.output_bucket, Key=f"enriched/{keys[-1]}.json")
            round_trips.append(time.perf_counter() - started)
    return Latency(seconds, stages, in_process, round_trips)


def measure(
    documents: int, worker_counts: Sequence[int], workdir: Path, latency_docs: int = 0
) -> tuple[list[ServiceRun], Latency | None]:
    """Service and in-process runs for each worker count, then latency, on plain text."""
    folder = workdir / "inputs"
    write_inputs(plain_corpus(max(documents, latency_docs + _WARM_DOCS)), folder)
    logs = workdir / "logs"
    logs.mkdir()
    results = []
    latency = None
    with ExitStack() as running:
        servers = Servers(
            running.enter_context(harness.running_redis(workdir / "redis", logs)),
            running.enter_context(harness.running_s3(logs)),
        )
        # This process submits and sweeps as a client, with the moto server's credentials.
        os.environ.update({k: v for k, v in servers.s3.env.items() if k.startswith("AWS_")})
        # The client side publishes through tasks.app, configured at import for the default broker.
        app.conf.broker_url = servers.redis.url
        for workers in worker_counts:
            phases, usage = run_service(servers, folder, workers, logs)
            in_process = run_in_process(folder, workers, workdir)
            results.append(ServiceRun(workers, documents, *phases, in_process, *usage))
        if latency_docs:
            latency = measure_latency(servers, folder, latency_docs, logs, workdir)
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
