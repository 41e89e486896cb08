"""`audit` (Python API and CLI): model loading, outputs, and every bad-input message."""

import json

import pytest
import torch
from torch import nn

from uniformgap import InputError
from uniformgap.audit import audit, load_model
from uniformgap.cli import main
from uniformgap.metrics import sup_error_bracket, sup_error_exact_1d
from uniformgap.networks import ReLUNetwork, save_network

from _nets import random_net, hat_net


@pytest.fixture()
def files(tmp_path):
    paths = {
        "a1": save_network(random_net([1, 16, 16, 1], 0), tmp_path / "a1.json"),
        "b1": save_network(random_net([1, 32, 32, 32, 1], 1), tmp_path / "b1.json"),
        "a2": save_network(random_net([2, 16, 16, 1], 2), tmp_path / "a2.json"),
        "zero1": save_network(ReLUNetwork.from_arrays([([[0.0]], [0.0]), ([[0.0]], [0.0])]), tmp_path / "zero1.json"),
        "spike": save_network(hat_net(0.3, 1e-6, 0.25), tmp_path / "spike.json"),
        "wide": save_network(random_net([1, 4, 2], 3), tmp_path / "wide.json"),
    }
    seq = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1))
    torch.save(seq, tmp_path / "seq2.pt")
    torch.save(nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1)), tmp_path / "tanh.pth")
    torch.save({"weight": torch.zeros(2)}, tmp_path / "dict.pt")
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "net.txt").write_text("hello")
    (tmp_path / "junk.pt").write_bytes(b"not a pickle")
    paths.update({k: tmp_path / n for k, n in [("seq2", "seq2.pt"), ("tanh", "tanh.pth"), ("dict", "dict.pt"), ("bad", "bad.json"), ("txt", "net.txt"), ("junk", "junk.pt")]})
    paths["seq_module"] = seq
    return {k: (str(v) if not isinstance(v, nn.Module) else v) for k, v in paths.items()}


def test_load_model_converts_a_torch_sequential_to_the_same_function(files):
    net = load_model(files["seq2"])
    x = torch.rand(100, 2, dtype=torch.float64) - 0.5
    with torch.no_grad():
        expected = files["seq_module"].double()(x)
    assert net.architecture == (2, 8, 8, 1)
    torch.testing.assert_close(net(x), expected, rtol=0, atol=1e-12)


def test_json_output_in_1d_is_the_exact_value(files, capsys):
    assert main(["audit", files["a1"], files["b1"], "--mc-points", "4096", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    exact = sup_error_exact_1d(load_model(files["a1"]), load_model(files["b1"]))
    assert out["exact"] is True and out["d"] == 1
    assert out["sup_lower"] == out["sup_upper"] == exact.value
    assert out["argmax"] == [exact.argmax]
    assert out["mc_max"] <= out["sup_lower"] and out["mc_points"] == 4096
    assert out["mc_underestimate"] == pytest.approx(out["sup_lower"] - out["mc_max"], abs=1e-15)
    assert out["domain"] == [-0.5, 0.5]


def test_monte_carlo_misses_a_narrow_spike_that_the_audit_finds(files, capsys):
    assert main(["audit", files["spike"], files["zero1"], "--mc-points", "100000", "--domain", "0,1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["sup_upper"] == pytest.approx(0.25, rel=1e-9) and out["argmax"] == [pytest.approx(0.3, abs=1e-15)]
    assert out["mc_max"] < 0.125  # 10^5 uniform points land within 1e-6/2 of 0.3 with probability < 0.1
    assert out["mc_underestimate_rel"] > 0.5


def test_json_output_in_2d_is_a_certified_bracket_with_a_torch_file(files, capsys):
    args = ["audit", files["a2"], files["seq2"], "--mc-points", "2048", "--budget-s", "3", "--domain", "-1,1", "--json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["exact"] is False and out["d"] == 2 and out["domain"] == [-1.0, 1.0]
    assert out["sup_lower"] <= out["sup_upper"]
    f, g = load_model(files["a2"]), load_model(files["seq2"])
    x = torch.tensor([out["argmax"]], dtype=torch.float64)
    with torch.no_grad():
        assert out["sup_lower"] == pytest.approx(float((f(x) - g(x)).abs()), rel=1e-12)
    assert out["mc_max"] <= out["sup_lower"] and out["attack_value"] <= out["sup_lower"]
    assert out["tol_reached"] == (out["sup_upper"] - out["sup_lower"] <= 0.01 * out["sup_upper"])
    # a dense grid never exceeds the certified upper bound
    axes = torch.linspace(-1, 1, 301, dtype=torch.float64)
    grid = torch.cartesian_prod(axes, axes)
    with torch.no_grad():
        assert float((f(grid) - g(grid)).abs().max()) <= out["sup_upper"]


def test_text_output_names_every_number(files, capsys):
    assert main(["audit", files["a1"], files["b1"], "--mc-points", "1000"]) == 0
    text = capsys.readouterr().out
    exact = sup_error_exact_1d(load_model(files["a1"]), load_model(files["b1"]))
    assert f"exact sup      {exact.value:.10g}" in text
    assert "max over 1000 uniform points: a lower estimate" in text
    assert "Monte Carlo underestimates the sup by" in text


def test_api_agrees_with_the_bracket_function():
    f, g = random_net([2, 8, 8, 1], 4), random_net([2, 8, 1], 5)
    res = audit(f, g, domain=(0.0, 1.0), budget_s=3.0, mc_points=1000, seed=3)
    br = sup_error_bracket(f, g, (0.0, 1.0), budget_s=3.0, mc_points=1000, seed=3)
    assert res.mc_max == br.mc_max and res.attack_value == br.attack_value
    assert res.sup_lower <= br.upper and br.lower <= res.sup_upper
    assert res.to_dict()["argmax"] == list(res.argmax)


def _error(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        code = main(argv)
        raise SystemExit(code)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    return err[-1]


def test_every_bad_input_is_one_line_with_exit_2(files, capsys):
    a1, a2 = files["a1"], files["a2"]
    expected = {
        (a1, a2): f"uniformgap audit: error: networks must have the same input dimension, got d=1 ({a1}) and d=2 ({a2})",
        (a1, files["wide"]): f"uniformgap audit: error: {files['wide']}: output dimension must be 1, got 2",
        (a1, files["tanh"]): (
            f"uniformgap audit: error: {files['tanh']}: the nn.Sequential must alternate Linear and ReLU, "
            "starting and ending with Linear, got [Linear, Tanh, Linear]"
        ),
        (a1, files["dict"]): (
            f"uniformgap audit: error: {files['dict']}: expected a torch.save'd nn.Sequential of Linear and ReLU layers, got dict"
        ),
        (a1, files["junk"]): f"uniformgap audit: error: {files['junk']}: torch.load cannot read it (UnpicklingError)",
        (a1, files["txt"]): (
            f"uniformgap audit: error: {files['txt']}: unsupported network file '.txt' (expected .json in the "
            "uniformgap.network format, or .pt/.pth holding a torch.save'd nn.Sequential)"
        ),
        (a1, a1 + ".missing.json"): f"uniformgap audit: error: network file {a1 + '.missing.json'!r} does not exist",
    }
    for (a, b), message in expected.items():
        assert _error(capsys, ["audit", a, b]) == message
    try:
        json.loads("{not json")
    except json.JSONDecodeError as exc:
        bad = f"uniformgap audit: error: {files['bad']}: not valid JSON (JSONDecodeError: {exc})"
    assert _error(capsys, ["audit", a1, files["bad"]]) == bad

    domain = "must be LO,HI with -1e6 <= LO < HI <= 1e6 (e.g. --domain -0.5,0.5 or --domain 0,1)"
    flags = {
        ("--domain", "1,0"): f"argument --domain: {domain}, got '1,0'",
        ("--domain", "0,0"): f"argument --domain: {domain}, got '0,0'",
        ("--domain", "0,1,2"): f"argument --domain: {domain}, got '0,1,2'",
        ("--domain", "a,b"): f"argument --domain: {domain}, got 'a,b'",
        ("--tol", "0"): "argument --tol: must be a number > 0, got '0'",
        ("--budget-s", "-1"): "argument --budget-s: must be a number > 0, got '-1'",
        ("--mc-points", "0"): "argument --mc-points: must be an integer >= 1, got '0'",
    }
    for (flag, value), message in flags.items():
        line = _error(capsys, ["audit", a1, a1, f"{flag}={value}"])
        assert line == f"uniformgap audit: error: {message} (see 'uniformgap audit --help')"


def test_api_rejects_bad_arguments():
    f = random_net([1, 4, 1], 0)
    cases = [
        (lambda: audit(f, f, domain=(1.0, 1.0)), "`domain` must have finite lo < hi in every coordinate, got (1.0, 1.0) (e.g. domain=(-0.5, 0.5))"),
        (lambda: audit(f, f, tol=-0.1), "`tol` must be a number > 0, got -0.1"),
        (lambda: audit(f, f, budget_s=0), "`budget_s` must be a number > 0, got 0"),
        (lambda: audit(f, f, mc_points=1.5), "`mc_points` must be an integer >= 1, got 1.5"),
        (lambda: audit(f, "net.json"), "`g` must be a uniformgap.networks.ReLUNetwork or SparseReLUNetwork, got str"),
    ]
    for call, message in cases:
        with pytest.raises(InputError) as exc:
            call()
        assert str(exc.value) == message


RUN_CFG = {
    "name": "tiny", "target": {"kind": "teacher", "d": 1, "n": 2, "depth": 3, "width": 4},
    "n_samples": [8, 16], "seeds": [0, 1],
    "student": {"depth": 3, "width": 4, "lr": 1.0e-2, "lr_final": 1.0e-3, "epochs": 4, "batch_size": 0.5},
    "evaluation": {"checkpoints": 2, "test_points": 4096, "val_points": 64, "chunk_size": 4096},
}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from uniformgap.experiments import load_config, run_experiment

    out = tmp_path_factory.mktemp("audit-run") / "run"
    run_experiment(load_config(RUN_CFG), out=out, executor="local", progress=False)
    return out


def test_audit_reads_a_student_the_run_saved(run_dir, capsys):
    import pandas as pd

    from uniformgap.networks import load_network

    assert main(["audit", str(run_dir), "--samples", "16", "--teacher", "1", "--train-seed", "0", "--epoch", "2",
                 "--mc-points", "1000", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["exact"] is True and out["domain"] == [-0.5, 0.5]
    assert out["a"] == "student gd m=16 teacher 1 seed 0 epoch 2" and out["b"] == "its teacher"
    # the run's own Monte-Carlo max on 4096 test points is a lower estimate of the same sup
    table = pd.read_parquet(run_dir / "results.parquet")
    row = table[(table.n_samples == 16) & (table.teacher == 1) & (table.seed == 0) & (table.epoch == 2)]
    assert len(row) == 1 and float(row.linf.iloc[0]) <= out["sup_upper"] * (1 + 1e-12)
    assert float(row.linf.iloc[0]) >= 0.9 * out["sup_upper"]
    # the teacher is the saved file: |student - teacher| at the reported argmax is the sup
    teacher, _ = load_network(run_dir / "teachers" / "teacher_1.json")
    assert teacher.architecture == (1, 4, 4, 1)


@pytest.mark.parametrize(
    ("extra", "line"),
    [
        (["--samples", "16", "--teacher", "0"], "`--train-seed` is required: the run has 2 values [0, 1] (e.g. --train-seed 1)"),
        (["--samples", "99", "--teacher", "0", "--train-seed", "0"], "`--samples` must be one of [8, 16], got 99"),
        (["--samples", "16", "--teacher", "0", "--train-seed", "0", "--epoch", "3"], "`--epoch` must be one of [2, 4], got 3"),
        (["b.json", "--samples", "16"], "`B` must be omitted when A is a run directory, got 'b.json'"),
    ],
)
def test_audit_of_a_run_names_what_is_missing(run_dir, extra, line, capsys):
    argv = ["audit", str(run_dir), *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and line in err, err


def test_run_flags_need_a_run_directory(files, capsys):
    assert main(["audit", files["a1"], files["b1"], "--teacher", "0"]) == 2
    assert capsys.readouterr().err == (
        f"uniformgap audit: error: `--teacher` selects a student of a run: A must be a run directory, got {files['a1']!r}\n"
    )


def test_sparse_networks_are_audited_exactly_in_1d_and_refused_by_the_bracket(tmp_path):
    from uniformgap.networks import SparseReLUNetwork, random_network, save_network

    f, g = random_network((1, 6, 1), 1.0, seed=1), random_network((1, 5, 1), 1.0, seed=2)
    path = save_network(SparseReLUNetwork.from_dense(f), tmp_path / "f.json")
    fs = load_model(path)
    assert isinstance(fs, SparseReLUNetwork)
    dense, sparse = audit(f, g, mc_points=256), audit(fs, g, mc_points=256)
    assert sparse.exact and sparse.sup_upper == pytest.approx(dense.sup_upper, rel=1e-12)
    f2, g2 = random_network((2, 4, 1), 1.0, seed=3), random_network((2, 4, 1), 1.0, seed=4)
    with pytest.raises(InputError) as exc:
        audit(SparseReLUNetwork.from_dense(f2), g2, names=("f.json", "g.json"))
    assert str(exc.value) == (
        "`f.json` is a sparse network: the certified bracket for d >= 2 (CROWN bound propagation) needs dense "
        "weight matrices and is not available for it (use the Monte-Carlo or exact 1-D metrics, or "
        "SparseReLUNetwork.to_dense() for a small network)"
    )
