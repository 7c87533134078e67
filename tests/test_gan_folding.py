"""Batch norm folded to integer thresholds agrees with float batch norm except at exact ties."""

import numpy as np
import pytest
import torch

from bitspin.sw.gan.folding import fold_batchnorm, fold_generator, sigmoid_table
from bitspin.hw.gan.architecture import PRESETS
from bitspin.sw.gan.binary_layers import binary_sign
from tests.test_gan_golden import random_generator, random_inputs


def float_bn_sign(acc, mean, var, eps, gamma, beta):
    """The eval-mode float path, as PyTorch computes it (float32)."""
    bn = torch.nn.BatchNorm1d(len(mean), eps=eps).eval()
    with torch.no_grad():
        bn.running_mean.copy_(torch.tensor(mean)); bn.running_var.copy_(torch.tensor(var))
        bn.weight.copy_(torch.tensor(gamma)); bn.bias.copy_(torch.tensor(beta))
        pre = bn(torch.tensor(acc, dtype=torch.float32))
    return binary_sign(pre).numpy(), pre.numpy()


def folded_sign(acc, tau, flip):
    return np.where(np.where(flip.astype(bool), acc <= tau, acc >= tau), 1, -1)


def test_fold_batchnorm_agrees_except_ties(rng):
    fan_in, n, batch = 600, 300, 400
    mean = rng.normal(0, 20, n)
    var = rng.uniform(50, 800, n)
    gamma = rng.normal(0, 1, n)
    gamma[:10] = 0.0                       # constant outputs
    beta = rng.normal(0, 1, n)
    beta[:5] = 0.0                         # gamma = beta = 0: sign(0) = +1
    # Exact ties: beta = 0 makes the threshold equal the mean; integer means hit it exactly.
    mean[10:40] = rng.integers(-30, 30, 30) * 2.0
    beta[10:40] = 0.0
    acc = rng.integers(-fan_in // 20, fan_in // 20, (batch, n)) * 2   # even sums, like ±1 fan-ins
    tau, flip = fold_batchnorm(fan_in, mean, var, 1e-5, gamma, beta)
    ours = folded_sign(acc, tau, flip)
    ref, pre = float_bn_sign(acc, mean, var, 1e-5, gamma, beta)
    differ = ours != ref
    ties = np.abs(pre) < 1e-4
    print(f"{differ.sum()} of {differ.size} decisions differ; {ties.sum()} near-ties")
    assert not np.any(differ & ~ties), "folded thresholds differ from batch norm away from ties"
    assert np.all(ours[:, :5] == 1) and np.all(flip[gamma < 0] == 1)
    assert np.all(np.abs(tau) <= fan_in + 1)


def test_generator_eval_path_matches_folded(rng):
    """Hidden activations of the float eval path vs the folded comparisons, layer by layer."""
    config = PRESETS["small"]
    g = random_generator(config, rng)
    folded = fold_generator(g)
    z, y = random_inputs(rng, 200, config)
    captured = []
    hooks = [bn.register_forward_hook(lambda m, i, o: captured.append((i[0], o)))
             for bn in [*g.fc_bn, *g.deconv_bn]]
    with torch.no_grad():
        g(torch.from_numpy(z).float(), torch.from_numpy(y))
    for h in hooks:
        h.remove()
    total_differ = 0
    for (acc, pre), layer in zip(captured, [*folded.fc, *folded.deconv]):
        acc = torch.round(acc).numpy()
        shape = [1, -1] + [1] * (acc.ndim - 2)
        ours = folded_sign(acc, layer.threshold.reshape(shape), layer.flip.reshape(shape))
        ref = binary_sign(pre).numpy()
        differ = ours != ref
        assert not np.any(differ & (np.abs(pre.numpy()) > 1e-3))
        total_differ += int(differ.sum())
    print(f"tie disagreements: {total_differ}")


def test_sigmoid_table_saturates_and_is_monotonic(rng):
    scale = float(rng.uniform(0.002, 0.5))
    table, offset = sigmoid_table(scale, 10**6)
    assert table[0] == 0 and table[-1] == 255
    assert np.all(np.diff(table.astype(int)) >= 0)
    acc = np.arange(offset, offset + len(table))
    expect = np.rint(255 / (1 + np.exp(-scale * acc)))
    np.testing.assert_array_equal(table, expect)
    with pytest.raises(ValueError):
        sigmoid_table(0.0, 100)
