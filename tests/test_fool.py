"""The fooling adversary: the hat lies in the class, avoids every query, and the learner cannot tell ±hat from 0."""

import json
import math

import pytest
import torch

from uniformgap.audit import fool
from uniformgap.audit._fool import RecordingOracle
from uniformgap.audit._fool import farthest_center
from uniformgap.cli import main
from uniformgap.learners import GradientConfig, GradientLearner, GridInterpolationLearner, PolynomialLeastSquares
from uniformgap.theory import NetworkClass, hat_network


class AdaptiveBisection:
    """A deliberately adaptive learner: each query depends on the values seen so far.

    It starts with a coarse grid and then repeatedly queries next to the largest |value| seen
    (ties: the first), returning the piecewise-constant nearest-neighbour fit.
    """

    name = "adaptive"

    def learn(self, oracle, m, *, d, domain, seed):
        lo, hi = domain
        g = torch.Generator().manual_seed(seed)
        xs = lo + (hi - lo) * torch.rand(m // 2, d, generator=g, dtype=torch.float64)
        ys = oracle(xs)
        for _ in range(m - m // 2):
            k = int(torch.argmax(ys.abs()))
            step = (hi - lo) / (4 * len(ys))
            nxt = (xs[k] + step).clamp(lo, hi).reshape(1, d)
            xs, ys = torch.cat([xs, nxt]), torch.cat([ys, oracle(nxt)])

        def predict(x):
            return ys[torch.cdist(x, xs, p=1).argmin(dim=1)]

        return predict


@pytest.mark.parametrize("learner", [GridInterpolationLearner(), PolynomialLeastSquares(), AdaptiveBisection()],
                         ids=lambda l: l.name)
@pytest.mark.parametrize("d", [1, 2])
def test_learners_are_fooled(learner, d):
    m = 64
    r = fool(learner, m, d=d, L=4, c=1.0, seed=3)
    assert r.n_queries <= m
    assert r.same_queries and r.identical_outputs
    assert r.certified_error_lower_bound >= r.hat_lambda > 0
    # λ of a width-3d, q = ∞ hat is γ / M with γ = c^L (3d)^{L-2}
    assert r.hat_lambda == pytest.approx((3 * d) ** 2 / r.hat_scale, rel=1e-12)


def test_gradient_learner_is_fooled_bit_for_bit():
    learner = GradientLearner(GradientConfig(depth=3, width=16, epochs=20, batch_size=10))
    r = fool(learner, 40, d=1, L=5, seed=1)
    assert r.n_queries == 40
    assert r.identical_outputs and r.same_queries
    assert r.certified_error_lower_bound >= r.hat_lambda


def test_hat_avoids_the_queries_and_lies_in_the_class():
    learner = GridInterpolationLearner()
    oracle = RecordingOracle(lambda x: torch.zeros(x.shape[0], dtype=torch.float64))
    learner.learn(oracle, 50, d=2, domain=(-0.5, 0.5), seed=0)
    r = fool(learner, 50, d=2, L=3, c=0.7, seed=0)
    cls = NetworkClass.create(2, 3, c=0.7)
    f = hat_network(cls, r.hat_scale, list(r.hat_center), domain=(-0.5, 0.5))
    assert f.coefficient_norm(math.inf) <= 0.7 * (1 + 1e-12)
    assert torch.equal(f(oracle.points), torch.zeros(oracle.points.shape[0], 1, dtype=torch.float64))
    # every query is at ℓ¹ distance >= 1/M from the centre
    dist = (oracle.points - torch.tensor(r.hat_center, dtype=torch.float64)).abs().sum(dim=1)
    assert float(dist.min()) >= 1 / r.hat_scale


def test_farthest_center_is_exact_in_1d():
    pts = torch.tensor([[-0.5], [-0.1], [0.3], [0.5]], dtype=torch.float64)
    y, r = farthest_center(pts, 1, (-0.5, 0.5), n_candidates=16, generator=torch.Generator().manual_seed(0))
    # largest gap is (-0.1, 0.3): midpoint 0.1, radius 0.2
    assert float(y) == pytest.approx(0.1) and r == pytest.approx(0.2)


def test_certified_bound_beats_theory_and_cli_json(capsys):
    code = main(["fool", "--learner", "grid", "--samples", "100", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["identical_outputs"] is True
    assert out["certified_error_lower_bound"] >= out["hat_lambda"]
    # Theorem 2.2 says every algorithm has worst-case error >= the theory bound; the adversary
    # exhibits a concrete pair of targets, so its certificate must not be below that bound.
    assert out["certified_error_lower_bound"] >= out["theory_lower_bound_error"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["fool", "--samples", "0"], "uniformgap fool: error: argument --samples/-m: must be an integer >= 1, got '0'"),
        (["fool", "--samples", "5", "--domain", "1,0"],
         "uniformgap fool: error: argument --domain: must be LO,HI with -1e6 <= LO < HI <= 1e6 (e.g. --domain -0.5,0.5 or --domain 0,1), got '1,0'"),
        (["fool", "--samples", "5", "--learner", "sgd"],
         "uniformgap fool: error: argument --learner: invalid choice: 'sgd' (choose from "),
    ],
)
def test_bad_input(argv, message, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse errors exit from inside parse_args
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(message)
