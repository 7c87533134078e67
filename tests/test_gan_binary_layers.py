"""Binarization: sign(0) = +1, straight-through gradients, clipping, last-layer quantization."""

import numpy as np
import torch

from bitspin.sw.gan.binary_layers import (BinaryLinear, binary_sign, clip_latent_weights,
                                  quantize_last_weights, sign_ste)


def test_sign_of_zero_is_plus_one():
    x = torch.tensor([-2.0, -0.0, 0.0, 1e-30, 3.0])
    assert binary_sign(x).tolist() == [-1, 1, 1, 1, 1]


def test_straight_through_gradient(rng):
    x = torch.tensor(rng.uniform(-3, 3, 100), requires_grad=True)
    sign_ste(x).sum().backward()
    expect = (x.detach().abs() <= 1).double()
    assert torch.equal(x.grad, expect)


def test_binary_linear_uses_signs_and_clip(rng):
    layer = BinaryLinear(7, 3)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(rng.uniform(-2, 2, (3, 7))))
    x = torch.from_numpy(rng.integers(-1, 2, (5, 7)).astype(np.float32))
    expect = x @ binary_sign(layer.weight.detach().float()).T
    assert torch.equal(layer(x), expect)
    clip_latent_weights(layer)
    assert layer.weight.abs().max() <= 1


def test_last_layer_quantization(rng):
    w = torch.from_numpy(rng.normal(0, 0.1, (10, 1, 5, 5)))
    b = torch.tensor([float(rng.normal())])
    w_int, b_int, scale = quantize_last_weights(w, b, 31)
    assert w_int.abs().max() == 31
    assert torch.all(w_int == torch.round(w_int))
    assert (w_int * scale - w).abs().max() <= scale / 2 + 1e-12
    assert abs(float(b_int * scale - b)) <= float(scale) / 2 + 1e-12
