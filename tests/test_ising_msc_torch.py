"""The multi-spin-coded torch sampler (sw/ising/msc_torch.py), the GPU baseline, run on the CPU
(the tests' stand-in for a CUDA device): the same update rule as the numba sampler, exact
bookkeeping, each energy cost's flip probability, and the physics against Kaufman."""

import numpy as np
import pytest
import torch

from bitspin.sw.ising import backends, msc
from bitspin.sw.ising.exact import finite_energy_per_spin
from bitspin.sw.ising.msc_torch import half_sweep, observables, popcount, run_msc_torch
from bitspin.sw.ising.report import run_summary
from bitspin.sw.ising.result import lattice_observables
from tests.test_ising_msc import (LAYOUT_SIZES, _zero_temperature_half_sweep, check_flip_fractions,
                                  energy_cost_lattice)


def _tensor(lattice):
    return torch.from_numpy(msc.pack(lattice).view(np.int64))


def test_popcount_counts_every_bit(rng):
    words = rng.integers(0, 1 << 64, 1000, dtype=np.uint64)
    expected = [bin(int(w)).count("1") for w in words]
    assert popcount(torch.from_numpy(words.view(np.int64))).tolist() == expected


@pytest.mark.parametrize("L", LAYOUT_SIZES)
@pytest.mark.parametrize("J", [1, -1])
def test_a_zero_temperature_half_sweep_matches_the_rule_and_the_observables_are_exact(L, J, rng):
    lattice = rng.integers(0, 2, (L, L), dtype=np.uint8)
    spins = _tensor(lattice)
    generator = torch.Generator().manual_seed(int(rng.integers(1 << 62)))
    expected, flips = lattice, 0
    for colour in (0, 1):
        flips += int(half_sweep(spins, colour, L // 2, 0, 0, J < 0, generator))
        expected = _zero_temperature_half_sweep(expected, colour, J)
        assert (msc.unpack(spins.numpy().view(np.uint64), L) == expected).all()
    assert flips == int((expected != lattice).sum())
    assert tuple(int(v) for v in observables(spins, L // 2)) == lattice_observables(expected)


def test_each_energy_cost_flips_with_its_own_probability(rng):
    L, beta = 256, float(rng.uniform(0.1, 0.3))
    lattice = energy_cost_lattice(L)
    spins = _tensor(lattice)
    p4, p8 = (int(round(np.exp(-de * beta) * 2**32)) for de in (4, 8))
    half_sweep(spins, 0, L // 2, p4, p8, False,
               torch.Generator().manual_seed(int(rng.integers(1 << 62))))
    check_flip_fractions(lattice, msc.unpack(spins.numpy().view(np.uint64), L), beta)


def test_a_run_is_deterministic_and_its_stream_is_exact(rng):
    seed = int(rng.integers(1 << 62))
    first, second = (run_msc_torch(64, 0.4, sweeps=6, burn_in=1, seed=seed, device="cpu")
                     for _ in range(2))
    assert (first.final_lattice == second.final_lattice).all()
    assert (first.magnetization == second.magnetization).all()
    assert (first.magnetization[-1], first.bond_sum[-1]) == \
        lattice_observables(first.final_lattice)
    assert first.sampler == "multi-spin coded (torch, cpu)"


@pytest.mark.parametrize("temperature,J", [(2.0, 1), (3.0, -1)])
def test_energy_matches_kaufman(temperature, J, rng):
    size, sweeps, seed = 16, 3000, int(rng.integers(1 << 62))
    init = np.ones((size, size), np.uint8) if temperature < 2.269 else "hot"
    run = run_msc_torch(size, 1 / temperature, sweeps=sweeps, burn_in=300, J=J, init=init,
                        seed=seed, device="cpu")
    config = backends.RunConfig(size=size, beta=1 / temperature, sweeps=sweeps, burn_in=300,
                                coupling=J, seed=seed)
    e = run_summary("gpu", config, run)["energy_per_spin"]
    exact = finite_energy_per_spin(size, 1 / temperature, J)
    assert abs(e["mean"] - exact) <= 4 * e["stderr"], f"T={temperature} J={J} seed={seed}: {e}"


def test_the_gpu_backend_says_when_there_is_no_cuda():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    config = backends.RunConfig(size=64, sweeps=4, burn_in=0)
    with pytest.raises(ValueError, match="CUDA is not available"):
        backends.run("gpu", config)
