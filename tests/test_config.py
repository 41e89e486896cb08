"""Experiment configuration: exact one-line messages, grids, overrides, presets."""

from __future__ import annotations

import math

import pytest
import yaml

from uniformgap import InputError
from uniformgap.experiments import PRESETS, ExperimentConfig, expand_grid, load_config, plan_trials
from uniformgap.experiments._spec import absolute_batch_size, checkpoint_epochs

SCHEDULES = [
    {"student.batch_size": 0.2, "student.epochs": 50},
    {"student.batch_size": 100, "student.epochs": 10},
]
# tied axes: same keys in every mapping, values validated like free ones, a key in one axis only
TIED_AXIS_MISTAKES = [
    (
        {"grid": {"schedule": [SCHEDULES[0], {"student.batch_size": 100}]}},
        "config: grid.schedule[1]: must set the same keys as grid.schedule[0] (student.batch_size, "
        "student.epochs), got (student.batch_size)",
    ),
    (
        {"grid": {"schedule": [{"student.batch_size": 0.2, "student.epochs": 0}]}},
        "config: grid.schedule[0]: student.epochs: must be an integer >= 1, got 0",
    ),
    (
        {"grid": {"schedule": [{"student.batch_size": 2.5}]}},
        "config: grid.schedule[0]: student.batch_size: must be an integer >= 1 (absolute) or a fraction in "
        "(0, 1) of m, got 2.5",
    ),
    (
        {"grid": {"schedule": [{"student.epoch": 3}]}},
        "config: grid.schedule[0]: unknown key 'student.epoch' (allowed: depth, width, lr, lr_final, epochs, "
        "batch_size, standardize, dtype)",
    ),
    (
        {"grid": {"schedule": [SCHEDULES[0], 3]}},
        "config: grid.schedule[1]: must be a non-empty mapping of key paths to values "
        "(e.g. {student.batch_size: 100, student.epochs: 1000}), got 3",
    ),
    (
        {"grid": {"schedule": [{"grid.student.width": [8]}]}},
        "config: grid.schedule[0]: keys must be config key paths other than grid, got 'grid.student.width'",
    ),
    (
        {"grid": {"student.batch_size": [0.5], "schedule": SCHEDULES}},
        "config: grid.schedule: key 'student.batch_size' is already swept by grid.student.batch_size; "
        "sweep a key in one axis only (tie it to the others or leave it free)",
    ),
    (
        {"grid": {"schedule": SCHEDULES, "again": [{"student.epochs": 7}]}},
        "config: grid.again: key 'student.epochs' is already swept by grid.schedule; "
        "sweep a key in one axis only (tie it to the others or leave it free)",
    ),
    (
        {"grid": {"schedule": [1, 2]}},
        "config: grid.schedule: must be a config key path with a list of values or a tied axis (a name with "
        "mappings of key paths, e.g. schedule: [{student.batch_size: 100, student.epochs: 1000}]), got [1, 2]",
    ),
]
# a repeated value would run twice and be counted twice
REPEATED_VALUES = [
    ({"n_samples": [100, 10, 100]}, "config: n_samples: must hold distinct values (100 appears twice), got [100, 10, 100]"),
    ({"seeds": [0, 1, 0]}, "config: seeds: must hold distinct values (0 appears twice), got [0, 1, 0]"),
    (
        {"grid": {"student.batch_size": [100, 0.5, 100.0]}},
        "config: grid.student.batch_size: must hold distinct values (100.0 appears twice), got [100, 0.5, 100.0]",
    ),
    (
        {"grid": {"schedule": [SCHEDULES[1], SCHEDULES[0], dict(SCHEDULES[1])]}},
        "config: grid.schedule: must hold distinct values ({'student.batch_size': 100, 'student.epochs': 10} "
        "appears twice), got [{'student.batch_size': 100, 'student.epochs': 10}, {'student.batch_size': 0.2, "
        "'student.epochs': 50}, {'student.batch_size': 100, 'student.epochs': 10}]",
    ),
]


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"student": {"width": 0}}, "config: student.width: must be an integer >= 1, got 0"),
        (
            {"student": {"widht": 3}},
            "config: unknown key 'student.widht' (allowed: depth, width, lr, lr_final, epochs, batch_size, "
            "standardize, dtype)",
        ),
        ({"target": {"kind": "mlp"}}, "config: target.kind: must be one of 'teacher', 'sine', 'hat', 'file', got 'mlp'"),
        ({"target": {"kind": "teacher", "n": 0}}, "config: target.n: must be an integer >= 1, got 0"),
        (
            {"student": {"batch_size": 2.5}},
            "config: student.batch_size: must be an integer >= 1 (absolute) or a fraction in (0, 1) of m, got 2.5",
        ),
        ({"n_samples": [10, 0]}, "config: n_samples[1]: must be an integer >= 1, got 0"),
        ({"learner": "sgd"}, "config: learner: must be one of 'gd', 'grid' or 'poly', got 'sgd'"),
        ({"student": {"lr": "fast"}}, "config: student.lr: must be a number, got 'fast'"),
        ({"student": {"width": True}}, "config: student.width: must be an integer, got True"),
        ({"execution": {"gpus_per_trial": -1}}, "config: execution.gpus_per_trial: must be a number >= 0 or 'auto', got -1"),
        ({"grid": {"student.width": [32, 0]}}, "config: grid.student.width[1]: must be an integer >= 1, got 0"),
        ({"grid": {"student.width": []}}, "config: grid.student.width: must be a non-empty list of values, got []"),
        (
            {"grid": {"student.wdth": [1]}},
            "config: grid: unknown key 'student.wdth' (allowed: depth, width, lr, lr_final, epochs, batch_size, "
            "standardize, dtype)",
        ),
    ]
    + TIED_AXIS_MISTAKES
    + REPEATED_VALUES,
)
def test_bad_values_give_one_exact_line(raw, message):
    with pytest.raises(InputError) as exc:
        load_config(raw)
    assert str(exc.value) == message


def test_unknown_top_level_key_lists_allowed_keys():
    with pytest.raises(InputError) as exc:
        load_config({"epochs": 3})
    assert str(exc.value).startswith("config: unknown key 'epochs' (allowed: name, seed, learner, target,")


def test_bad_source_and_bad_set():
    with pytest.raises(InputError, match=r"^`config` must be a preset \(e1, e1-quick, e2, e2-quick, e3, e3-quick, paper-1d, paper-3d, quick, sine-1d\)"):
        load_config("quik")
    with pytest.raises(InputError) as exc:
        load_config("/nonexistent/x.yaml")
    assert str(exc.value) == "config file '/nonexistent/x.yaml' does not exist"
    with pytest.raises(InputError) as exc:
        load_config("quick", ["student.width"])
    assert str(exc.value) == (
        "`--set` must be KEY=VALUE with a dotted key (e.g. --set student.width=64), got 'student.width'"
    )


def test_set_overrides_are_yaml_values_and_reach_the_grid():
    c = load_config("quick", ["student.lr=3.0e-3", "n_samples=[5, 50]", "grid.student.width=[8, 16, 24]", "domain=unit"])
    assert c.student.lr == 3e-3 and c.n_samples == [5, 50] and c.bounds == (0.0, 1.0)
    assert [v.config.student.width for v in expand_grid(c)] == [8, 16, 24]


def test_grid_expansion_is_the_cartesian_product_in_file_order():
    c = load_config({"grid": {"student.width": [8, 16], "student.batch_size": [0.5, 100]}})
    variants = expand_grid(c)
    assert [v.config_id for v in variants] == [
        "gd/width=8/batch_size=0.5", "gd/width=8/batch_size=100",
        "gd/width=16/batch_size=0.5", "gd/width=16/batch_size=100",
    ]
    for v in variants:  # values substituted into the resolved configs, grid emptied
        assert (v.config.student.width, v.config.student.batch_size) == tuple(v.swept.values())
        assert v.config.grid == {}


def test_grid_over_learner_drops_axes_a_baseline_ignores():
    c = load_config({"grid": {"learner": ["gd", "poly"], "student.width": [8, 16]}})
    ids = [v.config_id for v in expand_grid(c)]
    assert ids == ["gd/width=8", "gd/width=16", "poly"]


def test_resolved_config_round_trips_through_yaml():
    c = load_config("paper-1d")
    again = ExperimentConfig.model_validate(yaml.safe_load(c.to_yaml()))
    assert again == c
    hat = load_config({"target": {"kind": "hat"}})
    assert math.isinf(ExperimentConfig.model_validate(yaml.safe_load(hat.to_yaml())).target.q)


def test_presets_plan_the_documented_grids():
    sizes = {}
    for name in PRESETS:
        c = load_config(name)
        sizes[name] = (len(expand_grid(c)), c.n_samples, c.seeds)
    # paper: widths {32, 512, 2048} x batch sizes {0.2m, 0.02m, 100}
    assert sizes["paper-1d"] == (9, [100, 1000, 10000, 100000], [10000, 10001, 10002])  # the specs' seeds
    assert sizes["paper-3d"][0] == 9 and load_config("paper-3d").target.d == 3
    quick = load_config("quick")
    assert quick.target.d == 1 and quick.target.n >= 8 and len(quick.seeds) == 3
    # one configuration: the quick budget goes into training it to convergence, evaluated exactly
    assert len(expand_grid(quick)) == 1 and len(quick.n_samples) >= 3
    # sample sizes span a decade, largest first (the longest trial starts first on a 2-core machine)
    assert max(quick.n_samples) >= 10 * min(quick.n_samples) and quick.n_samples == sorted(quick.n_samples, reverse=True)
    assert quick.evaluation.monte_carlo is False and quick.target.width == 32  # the paper's teacher width
    trials = plan_trials(load_config("paper-1d"))
    # 9 variants x 4 sizes x 4 teacher chunks of 10; every (teacher, seed) once per (variant, m)
    assert len(trials) == 144
    assert sum(len(t.members) for t in trials) == 9 * 4 * 40 * 3


def test_batch_size_fraction_and_checkpoints():
    assert [absolute_batch_size(0.02, m) for m in (10, 101, 1000)] == [1, 3, 20]  # ⌈0.2⌉, ⌈2.02⌉, ⌈20⌉
    assert absolute_batch_size(100, 50) == 50  # never more than m
    assert checkpoint_epochs(load_config("paper-1d")) == (1000, 2000, 3000, 4000, 5000)  # the base (grid not applied)
    c = load_config({"student": {"epochs": 10}, "evaluation": {"checkpoints": [10, 0, 5]}})
    assert checkpoint_epochs(c) == (0, 5, 10)
    with pytest.raises(InputError) as exc:
        checkpoint_epochs(load_config({"student": {"epochs": 10}, "evaluation": {"checkpoints": [20]}}))
    assert str(exc.value) == "config: evaluation.checkpoints: epochs must be <= student.epochs = 10, got [20]"


def test_monte_carlo_off_needs_1d_network_targets_and_an_exact_metric():
    c = load_config("quick", ["evaluation.monte_carlo=false"])
    assert c.evaluation.monte_carlo is False
    with pytest.raises(InputError) as exc:
        load_config("quick", ["target.d=2"])
    assert str(exc.value) == (
        "config: evaluation.monte_carlo: false needs 1-D network targets (teacher, hat or file with d = 1), "
        "got target.d 2 (e.g. --set evaluation.monte_carlo=true)"
    )
    with pytest.raises(InputError) as exc:
        load_config("sine-1d", ["evaluation.monte_carlo=false"])
    assert str(exc.value).startswith("config: evaluation.monte_carlo: false needs 1-D network targets") and (
        "got target.kind 'sine'" in str(exc.value))
    with pytest.raises(InputError) as exc:
        load_config("quick", ["evaluation.network_metrics=[]"])
    assert str(exc.value) == (
        "config: evaluation.monte_carlo: false needs an exact 1-D metric (l1_exact, l2_exact, linf_exact) in "
        "evaluation.network_metrics, got [] (e.g. --set 'evaluation.network_metrics=[l1_exact,l2_exact,linf_exact]')"
    )
    assert load_config("quick", ["evaluation.monte_carlo=true", "evaluation.network_metrics=[]"]).evaluation.monte_carlo


def test_hats_are_appended_to_the_teachers():
    from uniformgap.experiments._targets import build_targets, n_targets
    from uniformgap.metrics import sup_error_exact_1d

    c = load_config("quick", ["target.n=2", "target.hats=2", "target.hat_M=50"])
    targets = build_targets(c)
    assert n_targets(c) == 4 and [t.index for t in targets] == [0, 1, 2, 3]
    for j, t in enumerate(targets[2:]):
        assert t.network.architecture == (1, 32, 32, 32, 32, 1)
        assert t.network.coefficient_norm(float("inf")) <= 0.5 + 1e-15  # in the teachers' class H^inf_{a, c=a}
        peak = sup_error_exact_1d(t.network, None, domain=c.bounds)
        assert peak.argmax == pytest.approx(-0.5 + (j + 0.5) / 2, abs=1e-12)  # centres -1/4, 1/4
    with pytest.raises(InputError) as exc:
        load_config("quick", ["target.hats=-1"])
    assert str(exc.value) == "config: target.hats: must be an integer >= 0, got -1"



def test_tied_axis_is_one_axis_of_the_product_and_names_its_key_paths():
    c = load_config({"grid": {"student.width": [8, 16], "schedule": SCHEDULES}})
    variants = expand_grid(c)
    # brute force: the product of the free axis with the tied axis, in file order
    expected = [(w, s) for w in (8, 16) for s in SCHEDULES]
    assert [v.config_id for v in variants] == [
        f"gd/width={w}/batch_size={s['student.batch_size']}/epochs={s['student.epochs']}" for w, s in expected
    ]
    for v, (w, s) in zip(variants, expected):
        assert v.swept == {"student.width": w, **s}  # one results column per key path
        assert (v.config.student.width, v.config.student.batch_size, v.config.student.epochs) == (
            w, s["student.batch_size"], s["student.epochs"],
        )
        assert v.config.student.lr == c.student.lr  # keys outside the axis keep the base value


def test_tied_axis_reaches_checkpoints_and_round_trips_through_yaml():
    c = load_config({"student": {"epochs": 5000}, "evaluation": {"checkpoints": 5}, "grid": {"schedule": SCHEDULES}})
    assert [checkpoint_epochs(v.config) for v in expand_grid(c)] == [(10, 20, 30, 40, 50), (2, 4, 6, 8, 10)]
    assert ExperimentConfig.model_validate(yaml.safe_load(c.to_yaml())) == c
    via_set = load_config({"grid": {"student.width": [8, 16]}}, ["grid.schedule=[{student.batch_size: 0.2, student.epochs: 50}]"])
    assert [(v.config.student.width, v.config.student.epochs) for v in expand_grid(via_set)] == [(8, 50), (16, 50)]


@pytest.mark.parametrize("name", ["paper-1d", "paper-3d"])
def test_paper_presets_follow_the_authors_three_experiments(name):
    """theory2practice specs/{1,3}d_5x32/exp_{0,1,2}.yaml: batch ceil(0.2 m) / ceil(0.02 m) / 100,
    epochs_per_iteration 1000 / 1000 / 200 for 5 iterations, gamma = (1e-6/1e-4)^(1/5000 | 1/1000)."""
    from uniformgap.learners import GradientConfig

    spec = {0.2: (1000, 5000), 0.02: (1000, 5000), 100: (200, 1000)}  # batch -> (every, epochs)
    variants = expand_grid(load_config(name))
    assert sorted({v.config.student.width for v in variants}) == [32, 512, 2048]
    for v in variants:
        st = v.config.student
        every, epochs = spec[st.batch_size]
        assert st.epochs == epochs
        assert checkpoint_epochs(v.config) == tuple(every * i for i in range(1, 6))
        gc = GradientConfig(lr=st.lr, lr_final=st.lr_final, epochs=st.epochs)
        assert gc.gamma == pytest.approx((1e-06 / 1e-4) ** (1 / epochs), rel=1e-14)
        assert (st.depth, st.standardize, st.dtype, v.config.domain) == (5, True, "float64", "centered")
    assert len(variants) == 9


def test_sine_preset_follows_the_authors_spec():
    c = load_config("sine-1d")
    assert c.seeds == [10000] and c.n_samples == [1000]
    assert (c.student.depth, c.student.width, c.student.epochs, c.student.batch_size) == (22, 50, 5000, 0.02)
    assert checkpoint_epochs(c) == (1000, 2000, 3000, 4000, 5000)


def test_the_student_defaults_are_the_gradient_learners():
    from dataclasses import fields

    from uniformgap.experiments._config import StudentConfig
    from uniformgap.learners import GradientConfig

    student, gradient = StudentConfig(), GradientConfig()
    shared = [f.name for f in fields(GradientConfig) if f.name != "batch_size"]  # fraction of m vs absolute
    assert shared and all(getattr(student, n) == getattr(gradient, n) for n in shared)
    assert set(shared) | {"batch_size"} == set(StudentConfig.model_fields)
