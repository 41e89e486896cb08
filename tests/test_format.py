"""The JSON network format: round trips, a reader that does not import the package, bad files."""

import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from uniformgap import InputError
from uniformgap.networks import ReLUNetwork, load_network, network_from_dict, save_network


def random_net(arch, seed=0):
    g = torch.Generator().manual_seed(seed)
    layers = [
        (torch.rand(n_out, n_in, generator=g, dtype=torch.float64) - 0.5,
         torch.rand(n_out, generator=g, dtype=torch.float64) - 0.5)
        for n_in, n_out in zip(arch[:-1], arch[1:])
    ]
    return ReLUNetwork(layers)


def numpy_forward(layers, x):
    """R(Φ)(x) written independently: ReLU between layers, none after the last."""
    h = x
    for i, (A, b) in enumerate(layers):
        h = h @ np.asarray(A).T + np.asarray(b)
        if i < len(layers) - 1:
            h = np.maximum(h, 0.0)
    return h


def test_relu_network_matches_numpy_forward():
    net = random_net((3, 7, 5, 1))
    x = np.random.default_rng(1).uniform(-1, 1, size=(50, 3))
    expected = numpy_forward([(A.numpy(), b.numpy()) for A, b in net.layers], x)
    got = net(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-14, atol=1e-15)


def test_architecture_params_and_norms():
    net = random_net((2, 6, 6, 1))
    assert net.architecture == (2, 6, 6, 1)
    assert net.depth == 3
    assert net.n_params == (2 + 1) * 6 + (6 + 1) * 6 + (6 + 1) * 1
    all_entries = [t.numpy().ravel() for A, b in net.layers for t in (A, b)]
    assert net.coefficient_norm(math.inf) == max(np.abs(e).max() for e in all_entries)
    per_tensor_l1 = [np.abs(e).sum() for e in all_entries]
    assert net.coefficient_norm(1) == pytest.approx(max(per_tensor_l1), rel=1e-14)


def test_roundtrip_is_bit_exact(tmp_path):
    net = random_net((4, 9, 1), seed=3)
    path = save_network(net, tmp_path / "net.json", kind="teacher", seed=3)
    loaded, meta = load_network(path)
    assert meta == {"kind": "teacher", "seed": 3}
    for (A, b), (A2, b2) in zip(net.layers, loaded.layers):
        assert torch.equal(A, A2) and torch.equal(b, b2)


def test_exported_json_evaluates_without_the_package(tmp_path):
    net = random_net((2, 5, 3, 1), seed=7)
    path = save_network(net, tmp_path / "net.json", **{"lambda": 0.25})
    x = np.random.default_rng(0).uniform(0, 1, size=(20, 2))
    np.save(tmp_path / "x.npy", x)
    script = (
        "import json, sys, numpy as np\n"
        "sys.modules['uniformgap'] = None  # prove the package is not needed\n"
        f"d = json.load(open({str(path)!r}))\n"
        "assert d['activation'] == 'relu' and d['lambda'] == 0.25\n"
        f"h = np.load({str(tmp_path / 'x.npy')!r})\n"
        "for i, l in enumerate(d['layers']):\n"
        "    h = h @ np.array(l['weight']).T + np.array(l['bias'])\n"
        "    h = np.maximum(h, 0) if i < len(d['layers']) - 1 else h\n"
        "np.save(sys.argv[1], h)\n"
    )
    out = tmp_path / "y.npy"
    subprocess.run([sys.executable, "-c", script, str(out)], check=True)
    # numpy and torch may sum in different orders: equal up to rounding
    np.testing.assert_allclose(np.load(out), net(torch.from_numpy(x)).detach().numpy(), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize(
    "data, message",
    [
        ([1, 2], "net: not a network file (expected a JSON object with a 'layers' list)"),
        ({"layers": []}, "net: 'layers' must be a non-empty list of {'weight', 'bias'} objects"),
        ({"layers": [{"weight": [[1.0]]}]}, "net: layer 1 must be an object with 'weight' and 'bias'"),
        ({"layers": [{"weight": [[1.0]], "bias": [0.0]}], "activation": "tanh"},
         "net: activation must be 'relu', got 'tanh'"),
        ({"layers": [{"weight": [[1.0, 2.0]], "bias": [0.0]}, {"weight": [[1.0, 1.0]], "bias": [0.0]}]},
         "net: layer 2: weight has 2 columns but layer 1 has 1 outputs"),
        ({"layers": [{"weight": [[1.0], [2.0]], "bias": [0.0]}]},
         "net: layer 1: weight must be (N_l, N_l-1) and bias (N_l,), got (2, 1) and (1,)"),
    ],
)
def test_malformed_dicts_give_one_line_errors(data, message):
    with pytest.raises(InputError) as exc:
        network_from_dict(data, source="net")
    assert str(exc.value) == message
    assert "\n" not in str(exc.value)


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(InputError, match=r"^network file '.*nope.json' does not exist$"):
        load_network(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match=r"bad.json: not valid JSON \(JSONDecodeError"):
        load_network(bad)


def test_reserved_metadata_is_rejected(tmp_path):
    with pytest.raises(InputError, match=r"metadata keys \['layers'\] are reserved"):
        save_network(random_net((1, 2, 1)), tmp_path / "n.json", layers=1)
