"""Remembered query vectors: the model's own output, reused only by the same embedder."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from medref.retrieve.query_vectors import FILE_NAME, MAX_VECTORS, RememberedQueries, remember_queries


class CountingEmbedder:
    """A deterministic stand-in for the ONNX model, with model files and a call count."""

    name = "counting"
    dim = 8

    def __init__(self, folder: Path, *, salt: str = "") -> None:
        self.model_path = folder / "model.onnx"
        self.tokenizer_path = folder / "tokenizer.json"
        for f in (self.model_path, self.tokenizer_path):
            if not f.exists():
                f.write_bytes(b"weights")
        self.max_tokens = 128
        self.salt = salt
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        self.calls.append(list(texts))
        rows = []
        for t in texts:
            digest = hashlib.sha256((self.salt + t).encode()).digest()
            rows.append(np.frombuffer(digest[: self.dim * 4], dtype=np.float32) / 1e30)
        return np.stack(rows).astype(np.float32)


def test_a_query_embedded_once_is_read_back_by_a_new_process(tmp_path: Path) -> None:
    inner = CountingEmbedder(tmp_path)
    first = RememberedQueries(inner, tmp_path / FILE_NAME)
    got = first.embed(["adalimumab"])
    assert inner.calls == [["adalimumab"]]
    assert (tmp_path / FILE_NAME).is_file()
    again = RememberedQueries(CountingEmbedder(tmp_path), tmp_path / FILE_NAME)  # a new process
    back = again.embed(["adalimumab"])
    assert again.inner.calls == []
    assert back.dtype == np.float32 and back.shape == (1, 8)
    assert back.tobytes() == got.tobytes() == inner.embed(["adalimumab"]).tobytes()
    again.embed(["belatacept"])  # a new text still goes to the model
    assert again.inner.calls == [["belatacept"]]
    assert again.name == "counting" and again.dim == 8 and again.max_tokens == 128


def test_another_model_file_does_not_reuse_the_vectors(tmp_path: Path) -> None:
    RememberedQueries(CountingEmbedder(tmp_path), tmp_path / FILE_NAME).embed(["adalimumab"])
    model = tmp_path / "model.onnx"
    model.write_bytes(b"other weights")
    st = model.stat()
    os.utime(model, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    changed = CountingEmbedder(tmp_path, salt="v2")
    out = RememberedQueries(changed, tmp_path / FILE_NAME).embed(["adalimumab"])
    assert changed.calls == [["adalimumab"]]
    assert out.tobytes() == changed.embed(["adalimumab"]).tobytes()


def test_batches_and_embedders_without_model_files_pass_through(tmp_path: Path) -> None:
    inner = CountingEmbedder(tmp_path)
    wrapped = RememberedQueries(inner, tmp_path / FILE_NAME)
    wrapped.embed(["a", "b"])
    assert inner.calls == [["a", "b"]] and not (tmp_path / FILE_NAME).exists()
    plain = SimpleNamespace(name="hashing", dim=8, embed=inner.embed)
    indexes = SimpleNamespace(embedder=plain)
    remember_queries(indexes, tmp_path)
    assert indexes.embedder is plain  # nothing to key the vectors on
    indexes.embedder = inner
    remember_queries(indexes, tmp_path)
    assert isinstance(indexes.embedder, RememberedQueries)
    wrapper = indexes.embedder
    remember_queries(indexes, tmp_path)
    assert indexes.embedder is wrapper  # not wrapped twice
    none = SimpleNamespace(embedder=None)
    remember_queries(none, tmp_path)
    assert none.embedder is None


@pytest.mark.parametrize("content", [b"", b"\x00garbage", b"\xff" * 30])
def test_a_damaged_file_only_means_the_model_runs(tmp_path: Path, content: bytes) -> None:
    (tmp_path / FILE_NAME).write_bytes(content)
    inner = CountingEmbedder(tmp_path)
    out = RememberedQueries(inner, tmp_path / FILE_NAME).embed(["x"])
    assert inner.calls == [["x"]] and out.tobytes() == inner.embed(["x"]).tobytes()
    fresh = CountingEmbedder(tmp_path)
    RememberedQueries(fresh, tmp_path / FILE_NAME).embed(["x"])
    assert fresh.calls == []  # replaced by a good file


def test_the_oldest_vectors_are_dropped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("medref.retrieve.query_vectors.MAX_VECTORS", 3)
    inner = CountingEmbedder(tmp_path)
    wrapped = RememberedQueries(inner, tmp_path / FILE_NAME)
    for t in ("a", "b", "c", "d"):
        wrapped.embed([t])
    later = CountingEmbedder(tmp_path)
    reader = RememberedQueries(later, tmp_path / FILE_NAME)
    for t in ("b", "c", "d", "a"):
        reader.embed([t])
    assert later.calls == [["a"]]
    assert MAX_VECTORS >= 1000


@pytest.mark.dense
def test_the_real_model_vector_is_kept_byte_for_byte(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    from medref.errors import MissingExtraError
    from medref.index.embed import get_embedder

    try:
        model = get_embedder("minilm-onnx", threads=1)
    except MissingExtraError as exc:
        pytest.skip(str(exc))
    indexes = SimpleNamespace(embedder=model)
    remember_queries(indexes, tmp_path)
    first = indexes.embedder.embed(["adalimumab"])
    assert (tmp_path / FILE_NAME).is_file()
    reader = RememberedQueries(get_embedder("minilm-onnx", threads=1), tmp_path / FILE_NAME)
    assert reader.embed(["adalimumab"]).tobytes() == first.tobytes() == model.embed(["adalimumab"]).tobytes()
    assert reader.inner._session is None  # the second "process" never started the model
