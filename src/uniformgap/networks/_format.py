"""The project's network interchange format: plain JSON, readable without this package.

    {"format": "uniformgap.network", "version": 1, "activation": "relu",
     "architecture": [d, N_1, ..., 1],
     "layers": [{"weight": [[...]], "bias": [...]}, ...],
     ...metadata (e.g. "lambda", "kind", "seed")}

The weight of layer ℓ has shape (N_ℓ, N_{ℓ-1}); ReLU acts between layers, none after
the last. Numbers are written with full float64 precision (``repr`` round-trips), so
an exported network evaluates bit-for-bit the same after loading.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch

from .._atomic import write_text_atomic
from .._errors import InputError
from ._relu import ReLUNetwork

FORMAT = "uniformgap.network"
VERSION = 1
_RESERVED = {"format", "version", "activation", "architecture", "layers"}


def network_to_dict(net: ReLUNetwork, **metadata: Any) -> dict[str, Any]:
    """The JSON-ready dict of ``net``; ``metadata`` keys are stored at the top level."""
    clash = _RESERVED & metadata.keys()
    if clash:
        raise InputError(f"metadata keys {sorted(clash)} are reserved by the network format")
    return {
        "format": FORMAT,
        "version": VERSION,
        "activation": "relu",
        "architecture": list(net.architecture),
        "layers": [
            {"weight": A.to(torch.float64).tolist(), "bias": b.to(torch.float64).tolist()}
            for A, b in net.layers
        ],
        **metadata,
    }


def network_from_dict(
    data: Any, *, source: str = "network", dtype: torch.dtype = torch.float64
) -> tuple[ReLUNetwork, dict[str, Any]]:
    """Parse and validate a network dict; returns (network, metadata)."""
    if not isinstance(data, dict) or "layers" not in data:
        raise InputError(f"{source}: not a network file (expected a JSON object with a 'layers' list)")
    activation = data.get("activation", "relu")
    if activation != "relu":
        raise InputError(f"{source}: activation must be 'relu', got {activation!r}")
    layers = data["layers"]
    if not isinstance(layers, list) or not layers:
        raise InputError(f"{source}: 'layers' must be a non-empty list of {{'weight', 'bias'}} objects")
    pairs = []
    for ell, layer in enumerate(layers, start=1):
        if not isinstance(layer, dict) or not {"weight", "bias"} <= layer.keys():
            raise InputError(f"{source}: layer {ell} must be an object with 'weight' and 'bias'")
        try:
            A = torch.tensor(layer["weight"], dtype=dtype)
            b = torch.tensor(layer["bias"], dtype=dtype)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{source}: layer {ell} holds non-numeric or ragged values ({exc})") from None
        if A.ndim != 2:
            raise InputError(f"{source}: layer {ell} 'weight' must be a 2-D list, got {A.ndim}-D")
        pairs.append((A, b))
    try:
        net = ReLUNetwork(pairs)
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from None
    metadata = {k: v for k, v in data.items() if k not in _RESERVED}
    return net, metadata


def save_network(net: ReLUNetwork, path: str | os.PathLike, **metadata: Any) -> Path:
    """Write ``net`` as JSON atomically (a crash never leaves a half-written file)."""
    return write_text_atomic(path, json.dumps(network_to_dict(net, **metadata)))


def load_network(
    path: str | os.PathLike, dtype: torch.dtype = torch.float64
) -> tuple[ReLUNetwork, dict[str, Any]]:
    """Read a network JSON file; returns (network, metadata)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"network file {str(path)!r} does not exist")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid JSON ({exc.__class__.__name__}: {exc})") from None
    return network_from_dict(data, source=str(path), dtype=dtype)
