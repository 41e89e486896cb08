"""The project's network interchange format: plain JSON, readable without this package.

    {"format": "uniformgap.network", "version": 1, "activation": "relu",
     "architecture": [d, N_1, ..., N_L],
     "layers": [{"weight": [[...]], "bias": [...]}, ...],
     ...metadata (e.g. "lambda", "kind", "seed")}

The weight of layer ℓ has shape (N_ℓ, N_{ℓ-1}); ReLU acts between layers, none after
the last. N_L = 1 for a regression network, N_L = C for a classifier with C outputs.
Numbers are written with full float64 precision (``repr`` round-trips), so an exported
network evaluates bit-for-bit the same after loading.

Version 2 adds sparse layers (docs/robust.md §1: the constructions are huge but sparse): a
layer may carry, instead of "weight",

    "weight_sparse": {"shape": [N_ℓ, N_{ℓ-1}], "indices": [[row, ...], [col, ...]], "values": [...]}

(COO triplets, zero-based, no duplicates). A file with a sparse layer has "version": 2 and
loads as a :class:`SparseReLUNetwork`; a file with dense layers only is written as version 1,
exactly as before, and loads as a :class:`ReLUNetwork`. Loading is strict: a foreign
"format", an unsupported "version", an "architecture" that does not match the layers, shape
mismatches and non-finite numbers are each a one-line :class:`InputError` naming the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .._atomic import write_text_atomic
from .._errors import InputError
from ._relu import ReLUNetwork
from ._sparse import SparseReLUNetwork

FORMAT = "uniformgap.network"
VERSION = 1  # dense layers only
VERSION_SPARSE = 2  # some layer carries "weight_sparse"
_VERSIONS = (VERSION, VERSION_SPARSE)
_RESERVED = {"format", "version", "activation", "architecture", "layers"}


def network_to_dict(net: ReLUNetwork | SparseReLUNetwork, **metadata: Any) -> dict[str, Any]:
    """The JSON-ready dict of ``net``; ``metadata`` keys are stored at the top level.

    A :class:`SparseReLUNetwork` is written with "weight_sparse" layers (version 2).
    """
    clash = _RESERVED & metadata.keys()
    if clash:
        raise InputError(f"metadata keys {sorted(clash)} are reserved by the network format")
    if isinstance(net, SparseReLUNetwork):
        version, layers = VERSION_SPARSE, [_sparse_layer_dict(W, b) for W, b in net.sparse_layers]
    else:
        version = VERSION
        layers = [
            {"weight": A.to(torch.float64).tolist(), "bias": b.to(torch.float64).tolist()}
            for A, b in net.layers
        ]
    return {
        "format": FORMAT,
        "version": version,
        "activation": "relu",
        "architecture": list(net.architecture),
        "layers": layers,
        **metadata,
    }


def _sparse_layer_dict(W, b: np.ndarray) -> dict[str, Any]:
    coo = W.tocoo()
    return {
        "weight_sparse": {
            "shape": [int(W.shape[0]), int(W.shape[1])],
            "indices": [coo.row.tolist(), coo.col.tolist()],
            "values": coo.data.tolist(),
        },
        "bias": b.tolist(),
    }


def network_from_dict(
    data: Any, *, source: str = "network", dtype: torch.dtype = torch.float64
) -> tuple[ReLUNetwork | SparseReLUNetwork, dict[str, Any]]:
    """Parse and validate a network dict; returns (network, metadata).

    Dense layers only → :class:`ReLUNetwork` (in ``dtype``); any "weight_sparse" layer →
    :class:`SparseReLUNetwork` (float64).
    """
    if not isinstance(data, dict) or "layers" not in data:
        raise InputError(f"{source}: not a network file (expected a JSON object with a 'layers' list)")
    fmt = data.get("format", FORMAT)
    if fmt != FORMAT:
        raise InputError(f"{source}: format must be {FORMAT!r}, got {fmt!r}")
    version = data.get("version", VERSION)
    if isinstance(version, bool) or version not in _VERSIONS:
        raise InputError(f"{source}: version must be 1 or 2, got {version!r} (a newer uniformgap wrote it?)")
    activation = data.get("activation", "relu")
    if activation != "relu":
        raise InputError(f"{source}: activation must be 'relu', got {activation!r}")
    layers = data["layers"]
    if not isinstance(layers, list) or not layers:
        raise InputError(f"{source}: 'layers' must be a non-empty list of {{'weight', 'bias'}} objects")
    sparse = any(isinstance(layer, dict) and "weight_sparse" in layer for layer in layers)
    if sparse and version != VERSION_SPARSE:
        raise InputError(f"{source}: 'weight_sparse' layers need version 2, got version {version!r}")
    pairs = []
    for ell, layer in enumerate(layers, start=1):
        if not isinstance(layer, dict) or "bias" not in layer or ("weight" in layer) == ("weight_sparse" in layer):
            raise InputError(f"{source}: layer {ell} must be an object with 'bias' and one of 'weight', 'weight_sparse'")
        try:
            b = np.asarray(layer["bias"], dtype=np.float64)
            W = _read_sparse(layer["weight_sparse"], source, ell) if "weight_sparse" in layer else (
                np.asarray(layer["weight"], dtype=np.float64)
            )
        except InputError:
            raise
        except (TypeError, ValueError) as exc:
            raise InputError(f"{source}: layer {ell} holds non-numeric or ragged values ({exc})") from None
        if not isinstance(W, tuple) and W.ndim != 2:
            raise InputError(f"{source}: layer {ell} 'weight' must be a 2-D list, got {W.ndim}-D")
        values = W[2] if isinstance(W, tuple) else W
        for name, v in (("weight_sparse" if isinstance(W, tuple) else "weight", values), ("bias", b)):
            if not np.all(np.isfinite(v)):
                raise InputError(f"{source}: layer {ell} {name!r} holds non-finite values (NaN or inf)")
        pairs.append((W, b))
    try:
        if sparse:
            import scipy.sparse as sp

            net = SparseReLUNetwork(
                [(sp.csr_matrix((W[2], (W[0], W[1])), shape=W[3]) if isinstance(W, tuple) else W, b) for W, b in pairs]
            )
        else:
            net = ReLUNetwork([(torch.from_numpy(W).to(dtype), torch.from_numpy(b).to(dtype)) for W, b in pairs])
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from None
    arch = data.get("architecture")
    if arch is not None and arch != list(net.architecture):
        raise InputError(
            f"{source}: 'architecture' {arch!r} does not match the layers, which give {list(net.architecture)}"
        )
    metadata = {k: v for k, v in data.items() if k not in _RESERVED}
    return net, metadata


def _read_sparse(ws: Any, source: str, ell: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
    """(rows, cols, values, shape) of a "weight_sparse" object, validated."""
    where = f"{source}: layer {ell} 'weight_sparse'"
    if not isinstance(ws, dict) or not {"shape", "indices", "values"} <= ws.keys():
        raise InputError(f"{where} must be an object with 'shape', 'indices' and 'values'")
    shape = ws["shape"]
    if not (isinstance(shape, list) and len(shape) == 2 and all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in shape)):
        raise InputError(f"{where} 'shape' must be [rows, cols] with integers >= 1, got {shape!r}")
    idx = ws["indices"]
    if not (isinstance(idx, list) and len(idx) == 2):
        raise InputError(f"{where} 'indices' must be [[row, ...], [col, ...]], got {type(idx).__name__} of length {len(idx) if isinstance(idx, list) else '-'}")
    rows, cols = (np.asarray(i, dtype=np.float64).reshape(-1) for i in idx)
    values = np.asarray(ws["values"], dtype=np.float64).reshape(-1)
    if not (rows.size == cols.size == values.size):
        raise InputError(
            f"{where} needs as many rows, cols and values, got {rows.size}, {cols.size} and {values.size}"
        )
    for name, v, n in (("row", rows, shape[0]), ("column", cols, shape[1])):
        bad = (v != np.floor(v)) | (v < 0) | (v >= n)
        if bad.any():
            raise InputError(f"{where} {name} index {v[bad][0]:g} is not an integer in [0, {n - 1}]")
    rows, cols = rows.astype(np.int64), cols.astype(np.int64)
    if np.unique(rows * shape[1] + cols).size != rows.size:
        raise InputError(f"{where} repeats a (row, col) index pair")
    return rows, cols, values, (shape[0], shape[1])


def save_network(net: ReLUNetwork | SparseReLUNetwork, path: str | os.PathLike, **metadata: Any) -> Path:
    """Write ``net`` as JSON atomically (a crash never leaves a half-written file)."""
    return write_text_atomic(path, json.dumps(network_to_dict(net, **metadata)))


def load_network(
    path: str | os.PathLike, dtype: torch.dtype = torch.float64
) -> tuple[ReLUNetwork | SparseReLUNetwork, dict[str, Any]]:
    """Read a network JSON file; returns (network, metadata): a :class:`ReLUNetwork`, or a
    :class:`SparseReLUNetwork` when the file has sparse layers."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"network file {str(path)!r} does not exist")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid JSON ({exc.__class__.__name__}: {exc})") from None
    return network_from_dict(data, source=str(path), dtype=dtype)
