from pathlib import Path

import pytest

from workers.errors import Code, DocflowError
from workers.store import ENRICHED_PREFIX, LocalStore, input_key, output_key


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path)


def test_store_put_get_head_round_trip(store: LocalStore) -> None:
    store.put("a/b c+d%.txt", b"hello", "text/plain", {"source-etag": "x"})
    data, info = store.get("a/b c+d%.txt", max_bytes=10)
    assert data == b"hello"
    assert info.key == "a/b c+d%.txt"
    assert info.size == 5
    assert info.etag == "5d41402abc4b2a76b9719d911017c592"
    assert info.content_type == "text/plain"
    assert info.metadata == {"source-etag": "x"}
    assert store.head("a/b c+d%.txt") == info


@pytest.mark.parametrize("key", ["../escape", "/etc/passwd", "a/../../b", ".docflow-meta/x", ""])
def test_store_refuses_keys_that_leave_the_folder(store: LocalStore, key: str) -> None:
    with pytest.raises(DocflowError) as caught:
        store.put(key, b"x", "text/plain")
    assert caught.value.code == Code.MALFORMED


def test_store_get_refuses_oversized_objects_before_reading(store: LocalStore) -> None:
    store.put("big", b"x" * 11, "text/plain")
    with pytest.raises(DocflowError) as caught:
        store.get("big", max_bytes=10)
    assert caught.value.code == Code.TOO_LARGE


def test_store_missing_objects(store: LocalStore) -> None:
    assert store.head("nope") is None
    with pytest.raises(DocflowError) as caught:
        store.get("nope", max_bytes=10)
    assert caught.value.code == Code.NOT_FOUND
    store.delete("nope")


def test_store_lists_in_key_order_without_its_own_files(store: LocalStore) -> None:
    for key in ["b/2", "a", "b/1", "c"]:
        store.put(key, key.encode(), "text/plain")
    (store.root / "b" / ".tmp-partial").write_bytes(b"half")
    assert [i.key for i in store.list()] == ["a", "b/1", "b/2", "c"]
    assert [i.key for i in store.list("b/")] == ["b/1", "b/2"]
    store.delete("b/1")
    assert [i.key for i in store.list("b/")] == ["b/2"]


def test_store_put_replaces_whole(store: LocalStore) -> None:
    store.put("k", b"old version", "text/plain")
    store.put("k", b"new", "text/plain")
    assert store.get("k", 100)[0] == b"new"


@pytest.mark.parametrize("key", ["a.txt", "dir/sub/a b.html", "ünï/ç+%.xml"])
def test_store_output_key_round_trips(key: str) -> None:
    assert input_key(ENRICHED_PREFIX, output_key(ENRICHED_PREFIX, key)) == key
