"""The JSON network format: round trips, a reader that does not import the package, bad files."""

import json
import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from uniformgap import InputError
from uniformgap.networks import ReLUNetwork, SparseReLUNetwork, load_network, network_from_dict, network_to_dict, save_network


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
        ({"layers": [{"weight": [[1.0]]}]},
         "net: layer 1 must be an object with 'bias' and one of 'weight', 'weight_sparse'"),
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


# -- sparse layers (version 2) and several outputs ---------------------------------------------
def sparse_net(arch, density=0.4, seed=0):
    """A random sparse network: each entry non-zero with probability ``density``."""
    rng = np.random.default_rng(seed)
    layers = []
    for n_in, n_out in zip(arch[:-1], arch[1:]):
        A = rng.uniform(-1, 1, size=(n_out, n_in)) * (rng.random((n_out, n_in)) < density)
        b = rng.uniform(-0.5, 0.5, size=n_out) * (rng.random(n_out) < 0.5)
        layers.append((A, b))
    return layers


def numpy_sparse_forward(data, x):
    """The exported JSON evaluated by COO index arithmetic (np.add.at), without scipy or torch."""
    h = x
    for i, layer in enumerate(data["layers"]):
        ws = layer["weight_sparse"]
        rows, cols = (np.asarray(t, dtype=np.int64) for t in ws["indices"])
        z = np.zeros((h.shape[0], ws["shape"][0]))
        np.add.at(z.T, rows, np.asarray(ws["values"])[:, None] * h[:, cols].T)
        h = z + np.asarray(layer["bias"])
        if i < len(data["layers"]) - 1:
            h = np.maximum(h, 0.0)
    return h


def test_sparse_network_equals_a_dense_numpy_forward_pass_with_several_outputs():
    layers = sparse_net((4, 9, 7, 3), seed=1)
    net = SparseReLUNetwork(layers)
    x = np.random.default_rng(2).uniform(-1, 2, size=(40, 4))
    got = net(torch.from_numpy(x)).numpy()
    assert got.shape == (40, 3)
    np.testing.assert_allclose(got, numpy_forward(layers, x), rtol=1e-13, atol=1e-14)
    assert net.architecture == (4, 9, 7, 3) and net.depth == 3
    assert net.nnz_weights == sum(int(np.count_nonzero(A)) for A, _ in layers)
    assert net.nnz_biases == sum(int(np.count_nonzero(b)) for _, b in layers)
    assert net.dense_weights == 4 * 9 + 9 * 7 + 7 * 3
    assert net.n_params == 5 * 9 + 10 * 7 + 8 * 3  # the dense meaning, as for ReLUNetwork
    dense = ReLUNetwork.from_arrays(layers)
    assert dense.nnz_weights == net.nnz_weights and dense.n_params == net.n_params
    assert net.coefficient_norm(math.inf) == dense.coefficient_norm(math.inf)


def test_sparse_input_gradient_equals_the_dense_one():
    layers = sparse_net((3, 8, 1), density=0.6, seed=4)
    x = torch.from_numpy(np.random.default_rng(5).uniform(0, 1, size=(10, 3))).requires_grad_(True)
    SparseReLUNetwork(layers)(x).sum().backward()
    x2 = x.detach().clone().requires_grad_(True)
    ReLUNetwork.from_arrays(layers)(x2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy(), rtol=1e-13, atol=1e-15)


def test_sparse_roundtrip_and_a_reader_without_the_package(tmp_path):
    net = SparseReLUNetwork(sparse_net((5, 6, 4, 2), seed=6))
    path = save_network(net, tmp_path / "s.json", kind="c1")
    data = json.loads(path.read_text())
    assert data["version"] == 2 and "weight_sparse" in data["layers"][0] and data["architecture"] == [5, 6, 4, 2]
    loaded, meta = load_network(path)
    assert isinstance(loaded, SparseReLUNetwork) and meta == {"kind": "c1"}
    for (W, b), (W2, b2) in zip(net.sparse_layers, loaded.sparse_layers):
        assert (W != W2).nnz == 0 and np.array_equal(b, b2)
    x = np.random.default_rng(7).uniform(0, 1, size=(30, 5))
    np.testing.assert_allclose(numpy_sparse_forward(data, x), loaded(torch.from_numpy(x)).numpy(), rtol=1e-13, atol=1e-14)


def test_dense_files_stay_version_1_and_load_as_before(tmp_path):
    net = random_net((2, 3, 2), seed=8)  # two outputs: a classifier
    data = network_to_dict(net)
    assert data["version"] == 1 and "weight" in data["layers"][0]
    old = {k: v for k, v in data.items() if k not in ("format", "version", "architecture")}  # a minimal old file
    loaded, _ = network_from_dict(old, source="old")
    assert isinstance(loaded, ReLUNetwork) and loaded.architecture == (2, 3, 2)
    assert loaded(torch.zeros(4, 2, dtype=torch.float64)).shape == (4, 2)


_SP = {"weight_sparse": {"shape": [1, 2], "indices": [[0, 0], [0, 1]], "values": [1.0, 2.0]}, "bias": [0.0]}


@pytest.mark.parametrize(
    "data, message",
    [
        ({"format": "keras", "layers": [_SP]}, "f.json: format must be 'uniformgap.network', got 'keras'"),
        ({"version": 3, "layers": [_SP]}, "f.json: version must be 1 or 2, got 3 (a newer uniformgap wrote it?)"),
        ({"version": 1, "layers": [_SP]}, "f.json: 'weight_sparse' layers need version 2, got version 1"),
        ({"version": 2, "architecture": [2, 3], "layers": [_SP]},
         "f.json: 'architecture' [2, 3] does not match the layers, which give [2, 1]"),
        ({"layers": [{"weight": [[1.0, float("nan")]], "bias": [0.0]}]},
         "f.json: layer 1 'weight' holds non-finite values (NaN or inf)"),
        ({"layers": [{"weight": [[1.0, 1.0]], "bias": [float("inf")]}]},
         "f.json: layer 1 'bias' holds non-finite values (NaN or inf)"),
        ({"version": 2, "layers": [{**_SP, "weight_sparse": {**_SP["weight_sparse"], "values": [1.0, float("nan")]}}]},
         "f.json: layer 1 'weight_sparse' holds non-finite values (NaN or inf)"),
        ({"version": 2, "layers": [{**_SP, "weight_sparse": {**_SP["weight_sparse"], "indices": [[0, 1], [0, 1]]}}]},
         "f.json: layer 1 'weight_sparse' row index 1 is not an integer in [0, 0]"),
        ({"version": 2, "layers": [{**_SP, "weight_sparse": {**_SP["weight_sparse"], "indices": [[0, 0], [1, 1]]}}]},
         "f.json: layer 1 'weight_sparse' repeats a (row, col) index pair"),
        ({"version": 2, "layers": [{**_SP, "weight_sparse": {**_SP["weight_sparse"], "values": [1.0]}}]},
         "f.json: layer 1 'weight_sparse' needs as many rows, cols and values, got 2, 2 and 1"),
        ({"version": 2, "layers": [{**_SP, "weight_sparse": {**_SP["weight_sparse"], "shape": [1]}}]},
         "f.json: layer 1 'weight_sparse' 'shape' must be [rows, cols] with integers >= 1, got [1]"),
        ({"version": 2, "layers": [{**_SP, "bias": [0.0, 1.0]}]},
         "f.json: layer 1: weight must be (N_l, N_l-1) and bias (N_l,), got (1, 2) and (2,)"),
        ({"version": 2, "layers": [_SP, _SP]}, "f.json: layer 2: weight has 2 columns but layer 1 has 1 outputs"),
    ],
)
def test_bad_files_give_one_line_errors_naming_the_file(tmp_path, data, message):
    path = tmp_path / "f.json"
    path.write_text(json.dumps(data))  # NaN/inf are written as the JSON extensions Python reads back
    with pytest.raises(InputError) as exc:
        load_network(path)
    assert str(exc.value) == message.replace("f.json", str(path))
