"""A NumPy forward pass for BERT-family sentence-transformers models (mean or CLS pooling).

It reads the very same ``model.safetensors`` and ``tokenizer.json`` that sentence-transformers
loads, so a query can be embedded without importing torch: a fresh process answers in about a
second instead of spending five importing sentence-transformers. Equality with
sentence-transformers (cosine >= 1 - 1e-4) is a tested property, not an assumption.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ModelError

_DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": None, "I64": np.int64}


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Map every tensor of a safetensors file into memory without copying (read-only views)."""
    with open(path, "rb") as handle:
        (header_len,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(header_len))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + header_len)
    tensors: dict[str, np.ndarray] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(info["dtype"])
        if dtype is None:
            raise ModelError(f"{path}: tensor {name!r} has dtype {info['dtype']}, which the NumPy encoder cannot read")
        start, end = info["data_offsets"]
        tensors[name] = data[start:end].view(dtype).reshape(info["shape"])
    return tensors


def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): NumPy has no erf, and SciPy costs an import.
    sign = np.sign(x)
    # Clipping keeps exp(-a*a) out of float32 denormals, which are ~50x slower; erf(4) = 1 - 1.5e-8.
    a = np.minimum(np.abs(x), np.float32(4.0))
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x * np.float32(0.7071067811865476)))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(var + eps) * weight + bias


@dataclass(frozen=True)
class _Layer:
    qkv_w: np.ndarray
    qkv_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray
    ln1_w: np.ndarray
    ln1_b: np.ndarray
    up_w: np.ndarray
    up_b: np.ndarray
    down_w: np.ndarray
    down_b: np.ndarray
    ln2_w: np.ndarray
    ln2_b: np.ndarray


class NumpyBert:
    """A BERT encoder plus sentence-transformers pooling, evaluated with NumPy in float32."""

    def __init__(self, model_dir: Path, weights: Path) -> None:
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        if config.get("model_type") != "bert" or config.get("hidden_act", "gelu") != "gelu":
            raise ModelError(f"{model_dir}: the NumPy encoder only runs BERT models with gelu activation")
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.pooling = _pooling_mode(model_dir)
        self.max_length = _max_seq_length(model_dir, int(config.get("max_position_embeddings", 512)))
        self.normalize = _has_normalize(model_dir)
        tensors = read_safetensors(weights)
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in tensors else ""

        def get(name: str) -> np.ndarray:
            try:
                return np.asarray(tensors[prefix + name], dtype=np.float32)
            except KeyError:
                raise ModelError(f"{weights}: tensor {prefix + name!r} is missing; is this a BERT model?") from None

        self.word = tensors[prefix + "embeddings.word_embeddings.weight"]  # left mapped: rows are read on demand
        self.position = get("embeddings.position_embeddings.weight")
        self.token_type = get("embeddings.token_type_embeddings.weight")
        self.emb_ln = (get("embeddings.LayerNorm.weight"), get("embeddings.LayerNorm.bias"))
        self.layers = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            q, k, v = (get(p + f"attention.self.{n}.weight") for n in ("query", "key", "value"))
            qb, kb, vb = (get(p + f"attention.self.{n}.bias") for n in ("query", "key", "value"))
            self.layers.append(
                _Layer(
                    qkv_w=np.ascontiguousarray(np.concatenate([q, k, v]).T),
                    qkv_b=np.concatenate([qb, kb, vb]),
                    out_w=np.ascontiguousarray(get(p + "attention.output.dense.weight").T),
                    out_b=get(p + "attention.output.dense.bias"),
                    ln1_w=get(p + "attention.output.LayerNorm.weight"),
                    ln1_b=get(p + "attention.output.LayerNorm.bias"),
                    up_w=np.ascontiguousarray(get(p + "intermediate.dense.weight").T),
                    up_b=get(p + "intermediate.dense.bias"),
                    down_w=np.ascontiguousarray(get(p + "output.dense.weight").T),
                    down_b=get(p + "output.dense.bias"),
                    ln2_w=get(p + "output.LayerNorm.weight"),
                    ln2_b=get(p + "output.LayerNorm.bias"),
                )
            )
        self.dimension = int(config["hidden_size"])

    def forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Embed a padded batch of token ids (batch, seq) with its attention mask; returns (batch, dim)."""
        batch, seq = ids.shape
        hidden = np.asarray(self.word[ids.ravel()], dtype=np.float32).reshape(batch, seq, -1)
        hidden = hidden + self.position[:seq] + self.token_type[0]
        hidden = _layer_norm(hidden, *self.emb_ln, self.eps)
        dim = hidden.shape[-1]
        head_dim = dim // self.heads
        scale = np.float32(1.0 / np.sqrt(head_dim))
        bias = np.where(mask[:, None, None, :] > 0, np.float32(0.0), np.float32(-1e9)).astype(np.float32)
        for layer in self.layers:
            qkv = hidden @ layer.qkv_w + layer.qkv_b
            qkv = qkv.reshape(batch, seq, 3, self.heads, head_dim).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, seq, dim)
            hidden = _layer_norm(context @ layer.out_w + layer.out_b + hidden, layer.ln1_w, layer.ln1_b, self.eps)
            inner = _gelu(hidden @ layer.up_w + layer.up_b)
            hidden = _layer_norm(inner @ layer.down_w + layer.down_b + hidden, layer.ln2_w, layer.ln2_b, self.eps)
        if self.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        if self.normalize:
            pooled = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled.astype(np.float32)


def _pooling_mode(model_dir: Path) -> str:
    modules = _modules(model_dir)
    pooling = next((m for m in modules if m.get("type", "").endswith("Pooling")), None)
    if pooling is None:
        raise ModelError(f"{model_dir}: modules.json has no Pooling module")
    config = json.loads((model_dir / pooling["path"] / "config.json").read_text(encoding="utf-8"))
    if config.get("pooling_mode_mean_tokens"):
        return "mean"
    if config.get("pooling_mode_cls_token"):
        return "cls"
    raise ModelError(f"{model_dir}: only mean or CLS pooling runs in the NumPy encoder")


def _has_normalize(model_dir: Path) -> bool:
    return any(m.get("type", "").endswith("Normalize") for m in _modules(model_dir))


def _modules(model_dir: Path) -> list[dict]:
    path = model_dir / "modules.json"
    if not path.is_file():
        raise ModelError(f"{model_dir}: no modules.json, so this is not a sentence-transformers model directory")
    return json.loads(path.read_text(encoding="utf-8"))


def _max_seq_length(model_dir: Path, positions: int) -> int:
    path = model_dir / "sentence_bert_config.json"
    if path.is_file():
        return min(int(json.loads(path.read_text(encoding="utf-8")).get("max_seq_length", positions)), positions)
    return positions


def supports(model_dir: Path) -> bool:
    """True when ``model_dir`` is a local sentence-transformers BERT model this encoder can run."""
    try:
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        modules = _modules(model_dir)
        _pooling_mode(model_dir)
    except (OSError, ValueError, ModelError):
        return False
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    return (
        config.get("model_type") == "bert"
        and kinds in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"])
        and (model_dir / "tokenizer.json").is_file()
    )
