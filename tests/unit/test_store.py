"""The Store contract, held by the local folder store and the S3 store alike."""

import hashlib
import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from workers.errors import Code, DocflowError
from workers.local import LocalStore
from workers.outputs import ENRICHED_PREFIX, input_key, output_key
from workers.overlap import overlapped
from workers.s3 import S3Store
from workers.store import Store

KEY = "a/b c+d%é.txt"


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "local":
        yield LocalStore(tmp_path)
        return
    with mock_aws():
        client = boto3.client(
            "s3", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
        )
        client.create_bucket(Bucket="docflow-test")
        yield S3Store("docflow-test", client)


def test_store_put_get_head_round_trip(store: Store) -> None:
    store.put(KEY, b"hello", "text/plain", {"source-etag": "x"})
    data, info = store.get(KEY, max_bytes=10)
    assert data == b"hello"
    assert info.key == KEY
    assert info.size == 5
    assert info.etag == "5d41402abc4b2a76b9719d911017c592"
    assert info.content_type == "text/plain"
    assert info.metadata == {"source-etag": "x"}
    assert info.last_modified.endswith("+00:00")
    assert store.head(KEY) == info


def test_store_get_refuses_oversized_objects(store: Store) -> None:
    store.put("big", b"x" * 11, "text/plain")
    with pytest.raises(DocflowError) as caught:
        store.get("big", max_bytes=10)
    assert caught.value.code == Code.TOO_LARGE


def test_store_missing_objects(store: Store) -> None:
    assert store.head("nope") is None
    with pytest.raises(DocflowError) as caught:
        store.get("nope", max_bytes=10)
    assert caught.value.code == Code.NOT_FOUND
    store.delete("nope")


def test_store_lists_in_key_order(store: Store) -> None:
    for key in ["b/2", "a", "b/1", "c"]:
        store.put(key, key.encode(), "text/plain")
    assert [i.key for i in store.list()] == ["a", "b/1", "b/2", "c"]
    assert [i.key for i in store.list("b/")] == ["b/1", "b/2"]
    store.delete("b/1")
    assert [i.key for i in store.list("b/")] == ["b/2"]
    store.delete("a", "b/2", "b/absent")
    assert [i.key for i in store.list()] == ["c"]
    assert store.head("a") is None


def test_store_put_replaces_whole(store: Store) -> None:
    store.put("k", b"old version", "text/plain")
    store.put("k", b"new", "text/plain")
    assert store.get("k", 100)[0] == b"new"


@pytest.mark.parametrize("key", ["../escape", "/etc/passwd", "a/../../b", ".docflow-meta/x", ""])
def test_store_local_refuses_keys_that_leave_the_folder(tmp_path: Path, key: str) -> None:
    with pytest.raises(DocflowError) as caught:
        LocalStore(tmp_path).put(key, b"x", "text/plain")
    assert caught.value.code == Code.MALFORMED


def test_store_local_lists_no_temporary_or_metadata_files(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put("b/1", b"x", "text/plain", {"m": "1"})
    (tmp_path / "b" / ".tmp-partial").write_bytes(b"half")
    assert [i.key for i in store.list()] == ["b/1"]


def test_store_local_etag_follows_every_change_of_the_file(tmp_path: Path) -> None:
    store, path = LocalStore(tmp_path), tmp_path / "a.txt"
    path.write_bytes(b"first")
    first = store.head("a.txt")
    assert first is not None
    assert first.etag == hashlib.md5(b"first").hexdigest()
    assert store.get("a.txt", 100)[1].etag == first.etag  # the HEAD's hash, kept
    stamp = path.stat()
    time.sleep(0.05)  # file times are kept to the clock tick
    with path.open("r+b") as handle:  # rewritten in place, same size, same mtime
        handle.write(b"FIRST")
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert path.stat().st_mtime_ns == stamp.st_mtime_ns
    assert store.get("a.txt", 100)[1].etag == hashlib.md5(b"FIRST").hexdigest()
    head = store.head("a.txt")
    assert head is not None
    assert head.etag == hashlib.md5(b"FIRST").hexdigest()
    store.put("a.txt", b"third", "text/plain")  # replaced whole: a new file
    head = store.head("a.txt")
    assert head is not None
    assert head.etag == hashlib.md5(b"third").hexdigest()


@pytest.mark.parametrize("key", ["a.txt", "dir/sub/a b.html", "ünï/ç+%.xml"])
def test_store_output_key_round_trips(key: str) -> None:
    assert input_key(ENRICHED_PREFIX, output_key(ENRICHED_PREFIX, key)) == key


def test_overlapped_keeps_order_bounds_calls_in_flight_and_draws_lazily() -> None:
    lock = threading.Lock()
    state = {"running": 0, "most": 0, "drawn": 0}

    def items() -> Iterator[int]:
        for n in range(40):
            state["drawn"] += 1
            yield n

    def square(n: int) -> int:
        with lock:
            state["running"] += 1
            state["most"] = max(state["most"], state["running"])
        time.sleep(0.01 * (n % 3))  # finish out of order
        with lock:
            state["running"] -= 1
        return n * n

    results = overlapped(square, items(), threads=4)
    assert next(results) == 0
    assert state["drawn"] <= 2 * 4 + 1  # a window ahead, not the whole iterable
    assert list(results) == [n * n for n in range(1, 40)]
    assert 1 < state["most"] <= 4


def test_overlapped_runs_one_item_here_and_passes_errors_on() -> None:
    assert list(overlapped(lambda _: threading.current_thread().name, ["x"])) == ["MainThread"]

    def fail_on_3(n: int) -> int:
        if n == 3:
            raise ValueError("three")
        return n

    with pytest.raises(ValueError, match="three"):
        list(overlapped(fail_on_3, range(10)))


def test_overlapped_reuses_its_threads_from_call_to_call() -> None:
    def name(_: int) -> str:
        return threading.current_thread().name

    first = set(overlapped(name, range(40), threads=3))
    # The pool may start a thread that no item of the first call reaches: the second call
    # may use it, but no thread that was not alive after the first.
    alive = {thread.name for thread in threading.enumerate()}
    running = threading.active_count()
    second = set(overlapped(name, range(40), threads=3))
    assert first <= alive
    assert second <= alive
    assert threading.active_count() == running


def test_overlapped_left_early_starts_nothing_more() -> None:
    started: list[int] = []

    def slow(n: int) -> int:
        started.append(n)
        time.sleep(0.02)
        return n

    results = overlapped(slow, range(100), threads=2)
    assert next(results) == 0
    results.close()  # as a time limit or an error in the caller would
    time.sleep(0.2)
    assert len(started) <= 2 * 2 + 1


def _overlapped_in_child(answers: "multiprocessing.Queue[object]") -> None:
    together = threading.Barrier(3, timeout=5)  # passes only with three calls in flight

    def meet(n: int) -> int:
        together.wait()
        return n * 2

    try:
        answers.put(list(overlapped(meet, range(3))))
    except threading.BrokenBarrierError as exc:
        answers.put(repr(exc))


def test_overlapped_runs_side_by_side_in_a_forked_child_after_the_parent_used_it() -> None:
    # A prefork worker is a fork of a process that may have used the pool already. The
    # parent's threads are not in the child; a pool carried over would count them idle and
    # queue the calls for threads that do not exist.
    assert list(overlapped(lambda n: n, range(20))) == list(range(20))
    context = multiprocessing.get_context("fork")
    answers = context.Queue()
    child = context.Process(target=_overlapped_in_child, args=(answers,))
    child.start()
    try:
        assert answers.get(timeout=20) == [0, 2, 4]
    finally:
        child.join(5)
        child.kill()
