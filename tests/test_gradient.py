"""EnsembleTrainer: K stacked students must train exactly like K ordinary one-model loops."""

from __future__ import annotations

import io
import math

import pytest
import torch
from torch import nn

from uniformgap import InputError
from uniformgap.learners import CountingOracle, EnsembleTrainer, GradientConfig, GradientLearner, SampleLearner
from uniformgap.networks import StackedReLU

F64 = torch.float64


pytestmark = pytest.mark.usefixtures("one_thread")
DOMAIN = (-0.5, 0.5)
MU, SIGMA = 0.0, 1 / math.sqrt(12)  # U(-1/2, 1/2): mean 0, std 1/sqrt(12)


def _data(K, m, d, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(K, m, d, generator=g, dtype=F64) - 0.5  # (K, m, d)
    y = torch.sin(4 * x.sum(-1)) + 0.1 * torch.randn(K, m, generator=g, dtype=F64)  # (K, m)
    return x, y


def _sequential_reference(cfg, x, y, seed, epochs):
    """One model, trained the conventional way: nn.Sequential + torch.optim.Adam + ExponentialLR,
    in ``cfg.dtype``, on inputs standardised with the known U(-1/2, 1/2) moments if ``cfg.standardize``."""
    m, d = x.shape
    dt = getattr(torch, cfg.dtype)
    x, y = x.to(dt), y.to(dt)
    g = torch.Generator().manual_seed(seed)  # the model's one stream: init, then shuffles
    arch = cfg.architecture(d)
    modules = []
    for n_in, n_out in zip(arch[:-1], arch[1:]):
        lin = nn.Linear(n_in, n_out, dtype=dt)
        bound = 1 / math.sqrt(n_in)  # default init: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        nn.init.uniform_(lin.weight, -bound, bound, generator=g)
        nn.init.uniform_(lin.bias, -bound, bound, generator=g)
        modules += [lin, nn.ReLU()]
    net = nn.Sequential(*modules[:-1])
    xs = (x - MU) / SIGMA if cfg.standardize else x
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=cfg.gamma)
    losses = []
    for _ in range(epochs):
        perm = torch.randperm(m, generator=g)
        for start in range(0, m, cfg.batch_size):
            idx = perm[start : start + cfg.batch_size]
            loss = nn.functional.mse_loss(net(xs[idx]).squeeze(-1), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        with torch.no_grad():
            losses.append(float(nn.functional.mse_loss(net(xs).squeeze(-1), y)))
    return net, losses


def _rel(a, b):
    return float((a - b).abs().max() / b.abs().max())


def test_initialisation_is_default_pytorch_init_from_seed():
    cfg = GradientConfig(depth=3, width=6)
    x, y = _data(2, 10, 2)
    trainer = EnsembleTrainer(cfg, x, y, [11, 12], domain=DOMAIN)
    L = cfg.depth
    for k, seed in enumerate([11, 12]):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            ref = [nn.Linear(a, b, dtype=F64) for a, b in zip(cfg.architecture(2)[:-1], cfg.architecture(2)[1:])]
        for ell, lin in enumerate(ref):
            assert torch.equal(trainer.params[ell][k], lin.weight.detach())
            assert torch.equal(trainer.params[L + ell][k], lin.bias.detach())
            bound = 1 / math.sqrt(lin.in_features)
            assert float(lin.weight.detach().abs().max()) <= bound


# d = 1 is the branch every preset runs; float32 and raw inputs are config options.
@pytest.mark.parametrize(
    ("d", "dtype", "standardize", "tol"),
    [(2, "float64", True, 1e-10), (1, "float64", True, 1e-10), (1, "float32", True, 1e-4),
     (3, "float32", False, 1e-4), (1, "float64", False, 1e-10)],
)
def test_ensemble_equals_sequential_training(d, dtype, standardize, tol):
    lr = 3e-3 if standardize else 2e-2  # raw inputs (std 0.29) need larger steps to train in 200 steps
    cfg = GradientConfig(depth=4, width=8, lr=lr, lr_final=lr / 30, epochs=50, batch_size=32, dtype=dtype,
                         standardize=standardize)
    K, m, epochs = 3, 120, 50  # 4 minibatches per epoch (the last of 24): 200 Adam steps
    x, y = _data(K, m, d)
    seeds = [5, 17, 123]
    trainer = EnsembleTrainer(cfg, x, y, seeds, domain=DOMAIN)
    losses = []
    for _ in range(epochs):
        trainer.train(1)
        losses.append(trainer.train_loss())
    assert trainer.epoch == epochs
    L = cfg.depth
    for k, seed in enumerate(seeds):
        net, ref_losses = _sequential_reference(cfg, x[k], y[k], seed, epochs)
        lins = [mod for mod in net if isinstance(mod, nn.Linear)]
        for ell, lin in enumerate(lins):
            assert trainer.params[ell].dtype == lin.weight.dtype == getattr(torch, dtype)
            assert _rel(trainer.params[ell][k].detach(), lin.weight.detach()) < tol
            assert _rel(trainer.params[L + ell][k].detach(), lin.bias.detach()) < tol
        ours = torch.tensor([float(loss[k]) for loss in losses], dtype=F64)
        assert _rel(ours, torch.tensor(ref_losses, dtype=F64)) < tol
        assert ref_losses[-1] < 0.75 * ref_losses[0]  # it really trained (not a vacuous comparison)


def test_divergence_is_isolated_and_frozen():
    cfg = GradientConfig(depth=3, width=8, lr=1e-3, epochs=10, batch_size=16)
    x, y = _data(4, 48, 1)
    bad = y.clone()
    bad[1, 7] = math.nan  # NaN data
    bad[3] *= 1e200  # squared errors overflow to inf
    trainer = EnsembleTrainer(cfg, x, bad, [0, 1, 2, 3], domain=DOMAIN)
    clean = EnsembleTrainer(cfg, x[[0, 2]], y[[0, 2]], [0, 2], domain=DOMAIN)
    trainer.train(3)
    clean.train(3)
    assert trainer.diverged.tolist() == [False, True, False, True]
    for p, q in zip(trainer.params, clean.params):
        torch.testing.assert_close(p[[0, 2]], q, rtol=1e-13, atol=0)
    frozen = [p[[1, 3]].detach().clone() for p in trainer.params]
    trainer.train(2)
    for p, f in zip(trainer.params, frozen):
        assert torch.equal(p[[1, 3]], f)  # no more updates (NaN == NaN is irrelevant: these are finite)
    loss = trainer.train_loss()
    assert math.isnan(loss[1]) and math.isnan(loss[3]) and math.isfinite(loss[0]) and math.isfinite(loss[2])
    pred = trainer.predict(torch.zeros(5, 1, dtype=F64))
    assert pred[[1, 3]].isnan().all() and pred[[0, 2]].isfinite().all()


def test_state_dict_round_trip_is_bitwise():
    cfg = GradientConfig(depth=3, width=8, lr=1e-3, epochs=5, batch_size=10)
    x, y = _data(3, 35, 2, seed=4)
    straight = EnsembleTrainer(cfg, x, y, [1, 2, 3], domain=DOMAIN)
    straight.train(5)
    first = EnsembleTrainer(cfg, x, y, [1, 2, 3], domain=DOMAIN)
    first.train(3)
    buffer = io.BytesIO()
    torch.save(first.state_dict(), buffer)
    buffer.seek(0)
    resumed = EnsembleTrainer(cfg, x, y, [1, 2, 3], domain=DOMAIN)
    resumed.load_state_dict(torch.load(buffer))
    assert resumed.epoch == 3
    resumed.train(2)
    for p, q in zip(straight.params, resumed.params):
        assert torch.equal(p, q)
    assert torch.equal(straight.train_loss(), resumed.train_loss())
    other = EnsembleTrainer(cfg, x, y, [1, 2, 4], domain=DOMAIN)
    with pytest.raises(InputError) as exc:
        other.load_state_dict(first.state_dict())
    assert str(exc.value) == "`state` has seeds [1, 2, 3] but this trainer has [1, 2, 4]"


@pytest.mark.parametrize("domain", [(-0.5, 0.5), (0.0, 1.0)])
def test_networks_on_raw_inputs_match_predict(domain):
    cfg = GradientConfig(depth=3, width=8, lr=1e-3, epochs=3, batch_size=16)
    x, y = _data(2, 40, 3)
    x = x + 0.5 + domain[0]
    trainer = EnsembleTrainer(cfg, x, y, [3, 4], domain=domain)
    trainer.train(3)
    pts = domain[0] + torch.rand(64, 3, generator=torch.Generator().manual_seed(1), dtype=F64)
    pred = trainer.predict(pts, chunk_size=7)
    for k, net in enumerate(trainer.networks()):
        torch.testing.assert_close(net(pts).squeeze(-1), pred[k], rtol=1e-12, atol=1e-12)
    # the training loss is the MSE of those networks on the raw training data
    for k, net in enumerate(trainer.networks()):
        with torch.no_grad():
            mse = float(((net(x[k]).squeeze(-1) - y[k]) ** 2).mean())
        assert abs(mse - float(trainer.train_loss()[k])) < 1e-12
    assert sorted(trainer.tensors()) == ["bias_1", "bias_2", "bias_3", "weight_1", "weight_2", "weight_3"]


def test_learner_queries_exactly_m_points():
    learner = GradientLearner(GradientConfig(depth=2, width=4, epochs=2, batch_size=8))
    assert isinstance(learner, SampleLearner)
    oracle = CountingOracle(lambda x: x.sum(dim=1), m=20)
    f = learner.learn(oracle, 20, d=2, domain=(0.0, 1.0), seed=7)
    assert oracle.n_queried == 20 and len(oracle.queries) == 1 and oracle.queries[0].shape == (20, 2)
    assert float(oracle.queries[0].min()) >= 0.0 and float(oracle.queries[0].max()) <= 1.0
    out = f(torch.rand(9, 2, dtype=F64, generator=torch.Generator().manual_seed(0)))
    assert out.shape == (9,) and out.isfinite().all()
    f_again = learner.learn(lambda x: x.sum(dim=1), 20, d=2, domain=(0.0, 1.0), seed=7)
    f_other = learner.learn(lambda x: x.sum(dim=1), 20, d=2, domain=(0.0, 1.0), seed=8)
    pts = torch.rand(5, 2, dtype=F64, generator=torch.Generator().manual_seed(1))
    assert torch.equal(f(pts), f_again(pts)) and not torch.equal(f(pts), f_other(pts))
    # the training data are the queried points: the reported loss is the network's MSE on them
    x = oracle.queries[0]
    with torch.no_grad():
        mse = float(((f.network(x).squeeze(-1) - x.sum(dim=1)) ** 2).mean())
    assert abs(mse - f.train_loss) < 1e-12


def test_tensors_round_trip_through_safetensors(tmp_path):
    from safetensors.torch import load_file, save_file

    cfg = GradientConfig(depth=3, width=8, lr=1e-3, epochs=2, batch_size=16)
    x, y = _data(3, 40, 2)
    trainer = EnsembleTrainer(cfg, x, y, [0, 1, 2], domain=DOMAIN)
    trainer.train(2)
    save_file(trainer.tensors(), tmp_path / "students.safetensors")
    stack = StackedReLU.from_tensors(load_file(tmp_path / "students.safetensors"))
    pts = torch.rand(33, 2, dtype=F64, generator=torch.Generator().manual_seed(2)) - 0.5
    torch.testing.assert_close(stack(pts), trainer.predict(pts), rtol=1e-12, atol=1e-12)


def test_config_and_input_errors():
    with pytest.raises(InputError) as exc:
        GradientConfig(width=0)
    assert str(exc.value) == "`width` must be an integer >= 1, got 0"
    with pytest.raises(InputError) as exc:
        GradientConfig(lr=-1.0)
    assert str(exc.value) == "`lr` must be a finite number > 0, got -1.0"
    with pytest.raises(InputError) as exc:
        GradientConfig(dtype="float16")
    assert str(exc.value) == "`dtype` must be one of ['float32', 'float64'], got 'float16'"
    x, y = _data(2, 5, 1)
    with pytest.raises(InputError) as exc:
        EnsembleTrainer(GradientConfig(), x, y[:, :4], [0, 1])
    assert str(exc.value) == "`y` must have shape (K, m) = (2, 5) to match `x`, got (2, 4)"
    with pytest.raises(InputError) as exc:
        EnsembleTrainer(GradientConfig(), x, y, [0])
    assert str(exc.value) == "`seeds` must hold one seed per model (K=2), got 1"
    with pytest.raises(InputError) as exc:
        EnsembleTrainer(GradientConfig(), x, y, [0, 1], domain=(1.0, 0.0))
    assert str(exc.value) == "`domain` must be a pair (lo, hi) of finite numbers with lo < hi, got (1.0, 0.0) (e.g. (-0.5, 0.5))"


def test_schedule_reaches_lr_final():
    cfg = GradientConfig(lr=1e-4, lr_final=1e-6, epochs=5000)
    assert cfg.lr_at(0) == 1e-4
    assert abs(cfg.lr_at(5000) / 1e-6 - 1) < 1e-12
