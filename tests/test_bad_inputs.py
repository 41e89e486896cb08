"""Every bad input a clean error: exit code 2, one line on stderr, no traceback, no file touched.

A table of bad command lines across all subcommands, run in-process through
``uniformgap.cli.main`` in a workspace holding a small finished run, network files and
malformed configs. For each: the exit code is 2, stderr is exactly one line starting with
``uniformgap`` and naming the problem (the expected fragment), stdout is empty, and the
workspace (every file's bytes, every directory) is the same before and after — no run
directory is left behind.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import yaml

from uniformgap.cli import main

HAT = ["construct", "hat", "--dim", "1", "--depth", "3", "--coef-bound", "1", "--scale", "2", "--center", "0.5"]
INTERP = ["construct", "interpolate", "--dim", "1", "--depth", "3"]
BOUNDS = ["bounds", "--dim", "1", "--depth", "3"]
SWEEP = ["bounds", "--dims", "1:3", "--depths", "3:5", "--eps", "0.1"]
RUN = ["run", "{W}/tiny.yaml", "--local"]
FOOL = ["fool", "--samples", "10"]

CASES = [
    # -- bounds ------------------------------------------------------------------------------
    (["bounds", "--dim", "0", "--depth", "3", "--eps", "0.1"], "argument --dim: must be an integer >= 1, got '0'"),
    (["bounds", "--dim", "1", "--depth", "2", "--eps", "0.1"], "argument --depth: must be an integer >= 3, got '2'"),
    (["bounds", "--dim", "1", "--depth", "1000000000", "--eps", "0.1"], "must be an integer from 3 to 1e+06, got '1000000000': the bounds loop"),
    (["bounds", "--dim", "1", "--depth", "1e9", "--eps", "0.1"], "must be an integer from 3 to 1e+06, got '1e9'"),
    (["bounds", "--dim", "1.5", "--depth", "3", "--eps", "0.1"], "argument --dim: must be an integer >= 1, got '1.5'"),
    (["bounds", "--dim", "nan", "--depth", "3", "--eps", "0.1"], "argument --dim: must be an integer >= 1, got 'nan'"),
    (["bounds", "--dims", "1:1000000000", "--depths", "3:4", "--eps", "0.1"], "argument --dims: must have at most 10000 values"),
    (["bounds", "--dims", "1:3", "--depths", "3:1000000000", "--eps", "0.1"], "argument --depths: must have at most 10000 values"),
    (["bounds", "--dims", "1:3", "--depths", "3,2000000", "--eps", "0.1"], "argument --depths: must be integers from 3 to 1e+06"),
    (["bounds", "--dims", "1:100", "--depths", "3:2000", "--eps", "0.1"], "must span at most 100000 (d, L) cells, got 199800"),
    (["bounds", "--dims", "3:1", "--depths", "3:4", "--eps", "0.1"], "argument --dims: must be an inclusive range LO:HI"),
    (["bounds", "--dims", "a:b", "--depths", "3:4", "--eps", "0.1"], "argument --dims: must be an inclusive range LO:HI"),
    ([*BOUNDS, "--eps", "0"], "argument --eps: must be a number > 0, got '0'"),
    ([*BOUNDS, "--eps", "nan"], "argument --eps: must be a number > 0, got 'nan'"),
    ([*BOUNDS, "--eps", "inf"], "argument --eps: must be a number > 0, got 'inf'"),
    ([*BOUNDS, "--eps", "-inf"], "argument --eps: must be a number > 0, got '-inf'"),
    (BOUNDS, "give exactly one of --eps or --samples, got neither"),
    ([*BOUNDS, "--eps", "0.1", "--samples", "100"], "give exactly one of --eps or --samples, got both"),
    ([*BOUNDS, "--samples", "0.5"], "argument --samples: must be a number >= 1, got '0.5'"),
    ([*BOUNDS, "--samples", "nan"], "argument --samples: must be a number >= 1, got 'nan'"),
    ([*BOUNDS, "--eps", "0.1", "--coef-bound", "0"], "argument --coef-bound: must be a number > 0, got '0'"),
    ([*BOUNDS, "--eps", "0.1", "--coef-bound", "inf"], "argument --coef-bound: must be a number > 0, got 'inf'"),
    ([*BOUNDS, "--eps", "0.1", "--reg", "0.5"], "argument --reg: must be a number >= 1 or 'inf', got '0.5'"),
    ([*BOUNDS, "--eps", "0.1", "--norm", "nan"], "argument --norm: must be a number >= 1 or 'inf', got 'nan'"),
    ([*BOUNDS, "--eps", "0.1", "--c0", "-1"], "argument --c0: must be a number > 0, got '-1'"),
    ([*BOUNDS, "--eps", "0.1", "--width", "0"], "argument --width: must be one integer >= 1"),
    ([*BOUNDS, "--eps", "0.1", "--width", "1,2,3"], "`--width` must be one integer or L-1 = 2 comma-separated integers"),
    (["bounds", "--dim", "1", "--dims", "1:3", "--depth", "3", "--eps", "0.1"], "give --dim or --dims, not both"),
    ([*SWEEP, "--plot", "map.txt"], "`--plot` must end in .png, .pdf or .svg, got 'map.txt'"),
    ([*SWEEP, "--plot", "{W}"], "`--plot` must be a file, got the directory"),
    ([*SWEEP, "--plot", "{W}/tiny.yaml/map.png"], "`--plot` cannot be created: "),
    ([*BOUNDS, "--eps", "0.1", "--plot", "map.png"], "`--plot` needs a sweep over --dims/--depths"),
    ([*SWEEP[:-2], "--samples", "100"], "`--samples` cannot be used in a sweep"),
    (["bounds", "--frobnicate"], "unrecognized arguments: --frobnicate"),
    # -- construct ---------------------------------------------------------------------------
    ([*HAT[:-4], "--scale", "0.5", "--center", "0.5"], "argument --scale: must be a number >= 1, got '0.5'"),
    ([*HAT[:-4], "--scale", "nan", "--center", "0.5"], "argument --scale: must be a number >= 1, got 'nan'"),
    ([*HAT[:-1], "2"], "`--center` must lie in the domain [0, 1]^1, got 2 "),
    ([*HAT[:-1], "nan"], "`--center` must lie in the domain [0, 1]^1, got nan"),
    ([*HAT[:-1], "0.5,0.5"], "`--center` must have d = 1 coordinates, got 2"),
    ([*HAT[:-1], "a"], "argument --center: must be comma-separated numbers"),
    ([*HAT, "--domain", "1,0"], "argument --domain: must be LO,HI with -1e6 <= LO < HI <= 1e6"),
    ([*HAT, "--domain", "0,1e308"], "argument --domain: must be LO,HI with -1e6 <= LO < HI <= 1e6"),
    ([*HAT, "--domain", "0,inf"], "argument --domain: must be LO,HI with -1e6 <= LO < HI <= 1e6"),
    ([*HAT, "--export", "{W}"], "`--export` must be a file, got the directory"),
    ([*HAT, "--export", "hat.txt"], "`--export` must end in .json, got 'hat.txt'"),
    ([*HAT, "--export", "{W}/tiny.yaml/hat.json"], "`--export` cannot be created: "),
    ([*HAT, "--plot", "hat.gif"], "`--plot` must end in .png, .pdf or .svg, got 'hat.gif'"),
    ([*HAT, "--export", "ok.json", "--plot", "{W}"], "`--plot` must be a file, got the directory"),
    ([*HAT, "--reg", "0.5"], "argument --reg: must be a number >= 1 or 'inf', got '0.5'"),
    ([*HAT, "--width", "0"], "`width` entries must be integers >= 1"),
    ([*HAT, "--style", "fancy"], "argument --style: invalid choice: 'fancy'"),
    (HAT[:-4], "the following arguments are required: --scale, --center"),
    ([*INTERP, "--samples", "0"], "argument --samples: must be an integer >= 1, got '0'"),
    ([*INTERP, "--samples", "1.5"], "argument --samples: must be an integer >= 1, got '1.5'"),
    ([*INTERP, "--samples", "10", "--test-points", "1e11"], "argument --test-points: must be an integer from 1 to 1.07e+09, got '1e11'"),
    ([*INTERP, "--samples", "10", "--seed", "-1"], "argument --seed: must be an integer >= 0, got '-1'"),
    ([*INTERP, "--samples", "10", "--width", "1,2,3"], "`width` must list L-1 = 2 hidden widths for L = 3"),
    ([*INTERP, "--samples", "10", "--coef-bound", "-1"], "argument --coef-bound: must be a number > 0, got '-1'"),
    (["construct", "sphere"], "argument CONSTRUCTION: invalid choice: 'sphere'"),
    # -- run ---------------------------------------------------------------------------------
    (["run", "nope"], "`config` must be a preset (e1, e1-quick, e2, e2-quick, e3, e3-quick, paper-1d, paper-3d, quick, sine-1d) or a YAML file, got 'nope'"),
    (["run", "{W}/missing.yaml"], "config file '{W}/missing.yaml' does not exist"),
    (["run", "{W}/dir.yaml"], "config file '{W}/dir.yaml' is a directory, not a YAML file"),
    (["run", "{W}/latin1.yaml"], "config file '{W}/latin1.yaml' is not UTF-8 text"),
    (["run", "{W}/list.yaml"], "config: {W}/list.yaml must be a YAML mapping of keys, got list"),
    (["run", "{W}/syntax.yaml"], "config: {W}/syntax.yaml is not valid YAML (line 2)"),
    ([*RUN, "--set", "student.width=0"], "config: student.width: must be an integer >= 1, got 0"),
    ([*RUN, "--set", "student.widht=3"], "config: unknown key 'student.widht'"),
    ([*RUN, "--set", "student.lr=.inf"], "config: student.lr: must be a finite number, got inf"),
    ([*RUN, "--set", "student.lr=.nan"], "config: student.lr: must be a finite number, got nan"),
    ([*RUN, "--set", "execution.cpus_per_trial=.inf"], "config: execution.cpus_per_trial: must be a finite number, got inf"),
    ([*RUN, "--set", "execution.gpus_per_trial=-1"], "config: execution.gpus_per_trial: must be a number >= 0 or 'auto', got -1"),
    ([*RUN, "--set", "target.a=.inf"], "config: target.a: must be a finite number, got inf"),
    ([*RUN, "--set", "target.width=1000000000"], "config: target.width: must be an integer from 1 to 6.55e+04; 1e+09 would need 8e+18 bytes"),
    ([*RUN, "--set", "student.width=100000"], "config: student.width: must be an integer from 1 to 6.55e+04"),
    ([*RUN, "--set", "target.d=100000"], "config: target.d: must be an integer from 1 to 6.55e+04"),
    ([*RUN, "--set", "evaluation.test_points=1000000000000000"], "config: evaluation.test_points: must be an integer from 1 to 4.29e+09; 1e+15 points"),
    ([*RUN, "--set", "evaluation.val_points=0"], "config: evaluation.val_points: must be an integer >= 1, got 0"),
    ([*RUN, "--set", "evaluation.checkpoints=0"], "config: evaluation.checkpoints: must be an integer >= 1"),
    ([*RUN, "--set", "evaluation.network_metrics=[nope]"], "config: evaluation.network_metrics: unknown metric 'nope'"),
    ([*RUN, "--set", "student.batch_size=1.5"], "config: student.batch_size: must be an integer >= 1 (absolute) or a fraction"),
    ([*RUN, "--set", "student.epochs=0"], "config: student.epochs: must be an integer >= 1, got 0"),
    ([*RUN, "--set", "seeds=[]"], "config: seeds: must be a non-empty list, got []"),
    ([*RUN, "--set", "n_samples=[0]"], "config: n_samples[0]: must be an integer >= 1, got 0"),
    ([*RUN, "--set", "grid.n_samples=[[10],[20]]"], "config: grid.n_samples: every run already sweeps n_samples"),
    ([*RUN, "--set", "grid.student.width=[]"], "config: grid.student.width: must be a non-empty list of values, got []"),
    ([*RUN, "--set", "target.kind=banana"], "config: target.kind: must be one of 'teacher', 'sine', 'hat', 'file', got 'banana'"),
    ([*RUN, "--set", "target={d: 3}"], "config: missing required key 'target.kind' (one of 'teacher', 'sine', 'hat', 'file'"),
    ([*RUN, "--set", "nokey"], "`--set` must be KEY=VALUE with a dotted key"),
    ([*RUN, "--set", "student.width=[1"], "`--set` value of 'student.width' is not valid YAML"),
    (["run", "{W}/hat.yaml", "--local"], "config: target.y: must be 1 number(s) in [-0.5, 0.5] (the domain), got [3.0]"),
    (["run", "{W}/hatinf.yaml", "--local"], "config: target.y[0]: must be a finite number, got inf"),
    (["run", "{W}/files.yaml", "--local"], "network file '{W}/missing.json' does not exist"),
    ([*RUN, "--address", "ray://x:1"], "`--address` joins a Ray cluster and cannot be combined with --local"),
    (["run", "--resume", "{W}/nowhere", "--local"], "`--resume` must name a run directory holding config.yaml, got '{W}/nowhere'"),
    (["run", "--resume", "{W}/run", "--set", "seeds=[1]"], "`--resume` continues a run with its saved config.yaml"),
    (["run", "--resume", "{W}/run", "--overwrite"], "`--resume` continues a run with its saved config.yaml"),
    ([*RUN, "--out", "{W}/run"], "`--out` directory '{W}/run' already holds a run (continue it with --resume"),
    ([*RUN, "--out", "{W}/busy"], "`--out` directory '{W}/busy' is not empty (choose a new directory or pass --overwrite)"),
    ([*RUN, "--out", "{W}/tiny.yaml"], "`--out` must be a directory, got the file '{W}/tiny.yaml'"),
    ([*RUN, "--out", "{W}/tiny.yaml/sub"], "`--out` directory '{W}/tiny.yaml/sub' cannot be created: '{W}/tiny.yaml' is a file"),
    (["plan", "nope"], "`config` must be a preset (e1, e1-quick, e2, e2-quick, e3, e3-quick, paper-1d, paper-3d, quick, sine-1d) or a YAML file, got 'nope'"),
    (["plan", "{W}/latin1.yaml", "--no-time"], "config file '{W}/latin1.yaml' is not UTF-8 text"),
    (["plan", "{W}/tiny.yaml", "--no-time", "--set", "student.lr=.inf"], "config: student.lr: must be a finite number, got inf"),
    (["plan", "{W}/tiny.yaml", "--no-time", "--set", "seeds=[1,1]"], "config: seeds: must hold distinct values (1 appears twice)"),
    # -- analyze / report --------------------------------------------------------------------
    (["analyze", "{W}/nowhere"], "{W}/nowhere"),
    (["analyze", "{W}/busy"], "{W}/busy"),
    (["analyze", "{W}/tiny.yaml"], "{W}/tiny.yaml"),
    (["analyze", "{W}/run", "--bootstrap", "1e8"], "argument --bootstrap: must be an integer from 0 to 1e+06, got '1e8': 1e+08 replicates"),
    (["analyze", "{W}/run", "--bootstrap", "-1"], "argument --bootstrap: must be an integer >= 0, got '-1'"),
    (["analyze", "{W}/run", "--bootstrap", "1.5"], "argument --bootstrap: must be an integer >= 0, got '1.5'"),
    (["analyze", "{W}/run", "--seed", "-1"], "argument --seed: must be an integer >= 0, got '-1'"),
    (["analyze", "{W}/run", "--selection", "best"], "argument --selection: must be 'validation' or 'test', got 'best'"),
    (["analyze", "{W}/run", "--metrics", "nope"], "nope"),
    (["analyze", "{W}/run", "--figures", "{W}/tiny.yaml"], "`--figures` must be a directory, got the file '{W}/tiny.yaml'"),
    (["report", "{W}/run", "--out", "{W}/run/results.parquet"], "`--out` must end in .html or .htm, got '{W}/run/results.parquet'"),
    (["report", "{W}/run", "--out", "{W}"], "`--out` must be a file, got the directory '{W}'"),
    (["report", "{W}/run", "--out", "{W}/tiny.yaml/r.html"], "`--out` cannot be created: '{W}/tiny.yaml' is a file"),
    (["report", "{W}/run", "--figures", "{W}/tiny.yaml"], "`--figures` must be a directory, got the file '{W}/tiny.yaml'"),
    (["report", "{W}/nowhere"], "{W}/nowhere"),
    (["report", "{W}/run", "--selection", "x"], "argument --selection: must be 'validation' or 'test', got 'x'"),
    # -- audit -------------------------------------------------------------------------------
    (["audit", "{W}/missing.json", "{W}/a.json"], "{W}/missing.json"),
    (["audit", "{W}/a.json", "{W}/notjson.json"], "{W}/notjson.json: not valid JSON"),
    (["audit", "{W}/a.json", "{W}/d2.json"], "networks must have the same input dimension, got d=1"),
    (["audit", "{W}/latin1.yaml", "{W}/a.json"], "unsupported network file '.yaml'"),
    (["audit", "{W}/a.json", "{W}/b.json", "--mc-points", "1e11"], "argument --mc-points: must be an integer from 1 to 1.07e+09, got '1e11': 1e+11 points"),
    (["audit", "{W}/a.json", "{W}/b.json", "--mc-points", "0"], "argument --mc-points: must be an integer >= 1, got '0'"),
    (["audit", "{W}/a.json", "{W}/b.json", "--tol", "0"], "argument --tol: must be a number > 0, got '0'"),
    (["audit", "{W}/a.json", "{W}/b.json", "--tol", "nan"], "argument --tol: must be a number > 0, got 'nan'"),
    (["audit", "{W}/a.json", "{W}/b.json", "--budget-s", "-1"], "argument --budget-s: must be a number > 0, got '-1'"),
    (["audit", "{W}/a.json", "{W}/b.json", "--domain", "1,0"], "argument --domain: must be LO,HI with -1e6 <= LO < HI <= 1e6"),
    (["audit", "{W}/a.json", "{W}/b.json", "--domain", "0,1e308"], "argument --domain: must be LO,HI with -1e6 <= LO < HI <= 1e6"),
    (["audit", "{W}/a.json", "{W}/b.json", "--seed", "-1"], "argument --seed: must be an integer >= 0, got '-1'"),
    (["audit", "{W}/a.json"], "`B` is required when A is a network file"),
    (["audit", "{W}/run", "{W}/a.json"], "`B` must be omitted when A is a run directory"),
    (["audit", "{W}/run", "--samples", "99"], "`--samples` must be one of [8, 16], got 99"),
    (["audit", "{W}/run"], "`--samples` is required: the run has 2 values [8, 16] (e.g. --samples 16)"),
    (["audit", "{W}/a.json", "{W}/b.json", "--epoch", "1"], "`--epoch` selects a student of a run: A must be a run directory"),
    # -- fool --------------------------------------------------------------------------------
    (["fool"], "the following arguments are required: --samples/-m"),
    (["fool", "--samples", "0"], "argument --samples/-m: must be an integer >= 1, got '0'"),
    (["fool", "--samples", "1.5"], "argument --samples/-m: must be an integer >= 1, got '1.5'"),
    ([*FOOL, "--dim", "100000"], "`--dim` 100000 with --depth 5 and --samples 10 would need 1.73 TB"),
    ([*FOOL, "--learner", "banana"], "argument --learner: invalid choice: 'banana'"),
    ([*FOOL, "--depth", "2"], "argument --depth: must be an integer >= 3, got '2'"),
    ([*FOOL, "--coef-bound", "0"], "argument --coef-bound: must be a number > 0, got '0'"),
    ([*FOOL, "--domain", "0,0"], "argument --domain: must be LO,HI with -1e6 <= LO < HI <= 1e6"),
    ([*FOOL, "--epochs", "0"], "argument --epochs: must be an integer >= 1, got '0'"),
    # -- top level ---------------------------------------------------------------------------
    (["frobnicate"], "argument COMMAND: invalid choice: 'frobnicate'"),
    (["--frobnicate"], "unrecognized arguments: --frobnicate"),
]

TINY = {
    "name": "tiny", "target": {"kind": "teacher", "d": 1, "n": 1, "depth": 3, "width": 4},
    "n_samples": [8, 16], "seeds": [0],
    "student": {"depth": 3, "width": 4, "lr": 1.0e-2, "lr_final": 1.0e-3, "epochs": 2, "batch_size": 0.5},
    "evaluation": {"checkpoints": 1, "test_points": 256, "val_points": 64, "chunk_size": 256},
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    from uniformgap.experiments import load_config, run_experiment
    from uniformgap.networks import random_network, save_network

    w = tmp_path_factory.mktemp("bad-inputs")
    (w / "tiny.yaml").write_text(yaml.safe_dump(TINY))
    (w / "hat.yaml").write_text(yaml.safe_dump({**TINY, "target": {"kind": "hat", "d": 1, "M": 4.0, "y": [3.0]}}))
    (w / "hatinf.yaml").write_text(yaml.safe_dump({**TINY, "target": {"kind": "hat", "d": 1, "y": [float("inf")]}}))
    (w / "files.yaml").write_text(yaml.safe_dump({**TINY, "target": {"kind": "file", "paths": [str(w / "missing.json")]}}))
    (w / "latin1.yaml").write_bytes("name: café\n".encode("latin-1"))
    (w / "list.yaml").write_text("[1, 2]\n")
    (w / "syntax.yaml").write_text("a: [\n")
    (w / "notjson.json").write_text("{\n")
    (w / "dir.yaml").mkdir()
    (w / "busy").mkdir()
    (w / "busy" / "notes.txt").write_text("mine")
    save_network(random_network([1, 4, 1], 1.0, seed=0), w / "a.json")
    save_network(random_network([1, 4, 1], 1.0, seed=1), w / "b.json")
    save_network(random_network([2, 4, 1], 1.0, seed=2), w / "d2.json")
    run_experiment(load_config(TINY), out=w / "run", executor="local", progress=False)
    return w


def snapshot(root: Path) -> dict[str, str]:
    """Every path under root: a directory marker or the sha256 of the file's bytes."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            out[os.path.relpath(os.path.join(dirpath, name), root)] = "dir"
        for name in filenames:
            path = os.path.join(dirpath, name)
            out[os.path.relpath(path, root)] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return out


def test_the_table_is_large_and_covers_every_subcommand():
    assert len(CASES) >= 80
    commands = {argv[0] for argv, _ in CASES}
    assert {"bounds", "construct", "plan", "run", "analyze", "report", "audit", "fool"} <= commands


@pytest.mark.parametrize(("argv", "fragment"), CASES, ids=[" ".join(a)[:60] for a, _ in CASES])
def test_bad_input_is_one_line_exit_2_and_touches_nothing(argv, fragment, workspace, capsys, monkeypatch):
    monkeypatch.chdir(workspace)
    argv = [a.replace("{W}", str(workspace)) for a in argv]
    fragment = fragment.replace("{W}", str(workspace))
    before = snapshot(workspace)
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    out, err = capsys.readouterr()
    assert code == 2, err
    assert out == ""
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert err.startswith("uniformgap") and "error: " in err and "Traceback" not in err
    assert fragment in err, err
    assert snapshot(workspace) == before
