"""A CNN as a sparse ReLU network (networks/_conv.py): outputs equal torch's on random inputs
(float64 to 1e-10, float32 to 1e-5) over strides, paddings, dilations, groups and average pooling;
the conv matrix against hand counts and against torch applied to basis vectors; the JSON round trip;
max pooling refused by name; `robust train --arch cnn` saves the JSON, certifies the CNN in its own table, and
`robust attack` on the JSON certifies the same fraction."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

from _cli import run_cli
from uniformgap import InputError
from uniformgap.networks import SparseReLUNetwork, cnn_to_sparse, load_network, save_network
from uniformgap.networks._conv import conv2d_matrix
from uniformgap.robust._training import build_model


def _init(model: nn.Module, seed: int) -> nn.Module:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.rand(p.shape, generator=g, dtype=torch.float64) * 2 - 1)
    return model


CASES = [
    # (in shape, layers): strided and padded convolutions, dilation, groups, no bias, both average poolings
    ((1, 8, 8), lambda: [nn.Conv2d(1, 3, 4, stride=2, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(48, 5)]),
    ((2, 7, 9), lambda: [nn.Conv2d(2, 4, (3, 2), stride=(1, 2), padding=(2, 0), dilation=(1, 2)), nn.ReLU(),
                         nn.Conv2d(4, 4, 3, groups=2, bias=False), nn.ReLU(), nn.Flatten(), nn.LazyLinear(3)]),
    ((3, 6, 6), lambda: [nn.Conv2d(3, 2, 3, padding=1), nn.AvgPool2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(18, 4)]),
    ((1, 5, 5), lambda: [nn.Conv2d(1, 2, 2), nn.ReLU(), nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
                         nn.Flatten(), nn.Linear(8, 2)]),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_outputs_equal_torch_in_float64_and_float32(case, one_thread):
    shape, layers = CASES[case]
    model = nn.Sequential(nn.Unflatten(1, shape), *layers()).double()
    d = int(np.prod(shape))
    model(torch.zeros(1, d, dtype=torch.float64))  # materialise a LazyLinear
    _init(model, case)
    net = cnn_to_sparse(model)
    assert isinstance(net, SparseReLUNetwork) and net.input_dim == d
    x = torch.rand(64, d, generator=torch.Generator().manual_seed(10 + case), dtype=torch.float64)
    with torch.no_grad():
        assert torch.allclose(net(x), model(x), rtol=0, atol=1e-10)
        model32 = model.float()
        assert torch.allclose(net(x.float()), model32(x.float()), rtol=0, atol=1e-5)


@pytest.mark.parametrize("dtype, tol", [(torch.float32, 1e-5), (torch.float64, 1e-10)])
def test_the_robust_train_cnn_is_its_sparse_network(dtype, tol, one_thread):
    model = build_model("cnn", 64, 10, [8], image_shape=(8, 8), seed=3, dtype=dtype)
    net = cnn_to_sparse(model)
    # 1x8x8 -conv 4x4/2/1-> 4x4x4 -conv-> 8x2x2 -> 100 -> 10
    assert net.architecture == (64, 64, 32, 100, 10)
    x = torch.rand(200, 64, generator=torch.Generator().manual_seed(0), dtype=dtype)
    with torch.no_grad():
        assert (net(x) - model(x)).abs().max().item() <= tol


def test_conv_matrix_by_hand_and_by_basis_vectors():
    conv = _init(nn.Conv2d(1, 1, 2).double(), 0)
    M, b, out = conv2d_matrix(conv, (1, 3, 3))
    assert out == (1, 2, 2) and M.shape == (4, 9) and M.nnz == 16  # 4 outputs x 4 kernel taps
    k = conv.weight.detach().numpy()[0, 0]
    # output (0, 1) reads inputs (0,1), (0,2), (1,1), (1,2) = flat 1, 2, 4, 5
    assert M[1].toarray().ravel().tolist() == [0, k[0, 0], k[0, 1], 0, k[1, 0], k[1, 1], 0, 0, 0]
    assert np.array_equal(b, np.full(4, conv.bias.item()))
    conv = _init(nn.Conv2d(2, 3, 3, stride=2, padding=2).double(), 1)
    M, b, out = conv2d_matrix(conv, (2, 5, 4))
    with torch.no_grad():  # column j = conv(e_j) - bias
        basis = torch.eye(40, dtype=torch.float64).reshape(40, 2, 5, 4)
        cols = (conv(basis) - conv.bias[None, :, None, None]).reshape(40, -1).T.numpy()
    assert out == (3, 4, 3) and np.array_equal(M.toarray(), cols)


def test_json_round_trip_keeps_the_function(tmp_path):
    model = build_model("cnn", 64, 3, [4], image_shape=(8, 8), seed=1, dtype=torch.float64)
    path = save_network(cnn_to_sparse(model), tmp_path / "cnn.json", kind="classifier")
    data = json.loads(path.read_text())
    assert data["version"] == 2 and all("weight_sparse" in layer for layer in data["layers"])
    net, meta = load_network(path)
    x = torch.rand(20, 64, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    assert isinstance(net, SparseReLUNetwork) and meta == {"kind": "classifier"}
    with torch.no_grad():
        assert torch.allclose(net(x), model(x), rtol=0, atol=1e-10)


def test_non_linear_or_unknown_layers_are_refused_by_name():
    cases = [
        (nn.Sequential(nn.Unflatten(1, (1, 4, 4)), nn.Conv2d(1, 1, 2), nn.MaxPool2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(1, 2)),
         "layer 2 must be Unflatten, Conv2d, AvgPool2d, Flatten, Linear or ReLU to be written as a ReLU network, got "
         "MaxPool2d (max pooling is not linear: keep the torch .pt file)"),
        (nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2)),
         "layer 1 must be Unflatten, Conv2d, AvgPool2d, Flatten, Linear or ReLU to be written as a ReLU network, got Tanh"),
        (nn.Sequential(nn.Conv2d(1, 1, 2), nn.ReLU(), nn.Flatten(), nn.Linear(9, 2)),
         "layer 0 (Conv2d) needs an image shape (C, H, W), got None (e.g. input_shape=(1, 8, 8))"),
        (nn.Sequential(nn.Linear(4, 3), nn.ReLU()),
         "the last layer must be affine (Conv2d, AvgPool2d or Linear), got a ReLU or nothing"),
    ]
    for model, message in cases:
        with pytest.raises(InputError) as exc:
            cnn_to_sparse(model)
        assert str(exc.value) == message
    # a convolution too large for the cap is refused before it is built: 2 channels x 3x3 outputs x 4 taps = 72
    model = nn.Sequential(nn.Unflatten(1, (1, 4, 4)), nn.Conv2d(1, 2, 2), nn.ReLU(), nn.Flatten(), nn.Linear(18, 2))
    assert cnn_to_sparse(model, max_nnz=72).nnz_weights <= 72 + 36
    with pytest.raises(InputError) as exc:
        cnn_to_sparse(model, max_nnz=71)
    assert str(exc.value) == ("`max_nnz` must be >= the 72 non-zeros of a 2-channel 2x2 convolution on (1, 4, 4), "
                              "got 71")
    # with an explicit input shape the Unflatten is not needed
    model = _init(nn.Sequential(nn.Conv2d(1, 2, 2), nn.ReLU(), nn.Flatten(), nn.Linear(18, 2)).double(), 2)
    x = torch.rand(5, 16, dtype=torch.float64)
    with torch.no_grad():
        assert torch.allclose(cnn_to_sparse(model, (1, 4, 4))(x), model(x.reshape(5, 1, 4, 4)), atol=1e-10)


def test_robust_train_cnn_saves_the_json_and_robust_attack_runs_on_it(tmp_path, capsys, one_thread):
    out = tmp_path / "run"
    code, text, err = run_cli(["robust", "train", "digits", "--arch", "cnn", "--width", "4", "--epochs", "1",
                               "--eps", "0.02", "--clean", "--eval-steps", "2", "--eval-restarts", "1",
                               "--no-library", "--out", str(out), "--json"], capsys)
    assert code == 0, err
    result = json.loads(text)
    path = out / "clean" / "seed0.json"
    assert result["model"] == str(path) and (out / "clean" / "seed0.pt").is_file()
    net, meta = load_network(path)
    assert meta["arch"] == "cnn" and meta["torch_model"] == "seed0.pt" and meta["kind"] == "classifier"
    state = torch.load(out / "clean" / "seed0.pt", weights_only=False)["state_dict"]
    model = build_model("cnn", 64, 10, [4], image_shape=(8, 8), seed=0)
    model.load_state_dict(state)
    x = torch.rand(100, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert (net(x) - model(x)).abs().max().item() <= 1e-5
    code, text, err = run_cli(["robust", "attack", str(path), "digits", "--eps", "0.02", "--steps", "2",
                               "--restarts", "1", "--no-library", "--json"], capsys)
    assert code == 0, err
    attack = json.loads(text)
    # the same test set and the same function as the training run's evaluation: the same clean accuracy
    assert attack["clean"] == pytest.approx(result["clean_test"], abs=1e-12)
    # densified for the certificate: the bracket certified <= attack <= clean
    assert attack["certify_method"] == "crown" and 0 < attack["certified"] <= attack["robust"] <= attack["clean"]
    # the training run certified its CNN itself (converted in memory, not read back from the JSON): the same number
    assert result["certified_test"] == attack["certified"]
    table = json.loads((out / "table.json").read_text())
    test = table["details"][0]["splits"]["test"]
    assert test["certify_method"] == "crown" and test["certify_note"] is None and test["certified"] == attack["certified"]


def test_network_form_keeps_a_too_wide_cnn_in_torch_only():
    from uniformgap.robust._outputs import MAX_JSON_NNZ, network_form

    # 256 channels on 28x28: the second convolution has 256 * 7 * 7 * 128 * 4 * 4 non-zeros
    assert 256 * 7 * 7 * 128 * 16 > MAX_JSON_NNZ
    assert network_form(build_model("cnn", 784, 10, [256], image_shape=(28, 28))) is None
    small = network_form(build_model("cnn", 784, 10, [8], image_shape=(28, 28)))
    assert isinstance(small, SparseReLUNetwork) and small.architecture == (784, 4 * 14 * 14, 8 * 7 * 7, 100, 10)
