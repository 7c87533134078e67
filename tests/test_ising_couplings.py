"""±J couplings (sw/ising/couplings.py): the file format and its errors, and every sampler's use of
the couplings against direct references: the golden core and the multi-spin-coded kernels at
zero temperature, their bond sums, and the exact enumeration with the overlap."""

import itertools

import numpy as np
import pytest

from bitspin.hw.ising.params import IsingParams
from bitspin.sw.cli.main import main
from bitspin.sw.ising import msc
from bitspin.sw.ising.brute_force import brute_force
from bitspin.sw.ising.couplings import (Couplings, load_couplings, random_couplings,
                                        uniform_couplings)
from bitspin.sw.ising.golden import GoldenIsingCore, run_golden
from bitspin.sw.ising.report import observables_sha256
from bitspin.sw.ising.result import lattice_observables
from bitspin.sw.ising.spin_glass_exact import exact_couplings
from bitspin.sw.ising.thresholds import threshold_table


def test_random_instances_are_reproducible_and_balanced(rng):
    seed = int(rng.integers(1 << 62))
    first, second = random_couplings(32, seed), random_couplings(32, seed)
    assert np.array_equal(first.j_right, second.j_right)
    assert np.array_equal(first.j_down, second.j_down)
    negative = (first.j_right < 0).mean() + (first.j_down < 0).mean()
    assert 0.8 < negative < 1.2          # each bond is -1 with probability 1/2
    assert not np.array_equal(first.j_right, random_couplings(32, seed + 1).j_right)


def test_the_command_writes_a_file_that_loads(tmp_path, capsys):
    path = tmp_path / "sub" / "glass.npz"
    assert main(["ising", "couplings", "--size", "8", "--seed", "5", "--out", str(path)]) == 0
    loaded = load_couplings(path, 8)
    assert np.array_equal(loaded.j_down, random_couplings(8, 5).j_down)
    assert loaded.j_right.dtype == np.int8


@pytest.mark.parametrize("arrays,needle", [
    ({"j_right": np.ones((4, 4))}, "lacks j_down"),
    ({"j_right": np.ones((4, 4)), "j_down": np.ones((4, 5))}, "square"),
    ({"j_right": np.ones((4, 4)), "j_down": np.full((4, 4), 2)}, "only -1 and +1"),
    ({"j_right": np.zeros((4, 4)), "j_down": np.ones((4, 4))}, "only -1 and +1"),
    ({"j_right": np.ones((8, 8)), "j_down": np.ones((8, 8))}, "is for L = 8, but the run has"),
])
def test_bad_files_get_a_clear_error(tmp_path, capsys, arrays, needle):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    code = main(["ising", "run", "--backend", "golden", "--size", "4", "--lanes", "2",
                 "--couplings", str(path), "--sweeps", "4", "--burn-in", "0"])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2 and needle in err and "Traceback" not in err, err


def test_not_a_file_and_a_global_sign_are_refused(tmp_path, capsys):
    (tmp_path / "text.npz").write_text("not a zip")
    for argv, needle in ([["--couplings", tmp_path / "none.npz"], "does not exist"],
                         [["--couplings", tmp_path / "text.npz"], "not a readable .npz"]):
        code = main(["ising", "run", "--size", "4", *map(str, argv)])
        err = " ".join(capsys.readouterr().err.split())
        assert code == 2 and needle in err, err
    random_couplings(4, 1).save(tmp_path / "c.npz")
    code = main(["ising", "run", "--size", "4", "--coupling", "-1", "--couplings",
                 str(tmp_path / "c.npz")])
    assert code == 2 and "--coupling cannot go with --couplings" in capsys.readouterr().err


def _zero_temperature_reference(lattice, colour, couplings):
    """Metropolis at β = ∞ with per-bond couplings: a site flips exactly when ΔE ≤ 0."""
    s = lattice.astype(int) * 2 - 1
    field = (couplings.j_right * np.roll(s, -1, 1) + np.roll(couplings.j_right, 1, 1) *
             np.roll(s, 1, 1) + couplings.j_down * np.roll(s, -1, 0) +
             np.roll(couplings.j_down, 1, 0) * np.roll(s, 1, 0))
    y, x = np.indices(lattice.shape)
    out = lattice.copy()
    out[((x + y) % 2 == colour) & (s * field <= 0)] ^= 1
    return out


@pytest.mark.parametrize("L", [4, 8, 30, 128])
def test_the_kernels_apply_each_bond_sign(L, rng):
    lattice = rng.integers(0, 2, (L, L), dtype=np.uint8)
    couplings = random_couplings(L, int(rng.integers(1 << 62)))
    signs = msc.bond_signs(couplings)
    rows = np.zeros((L, 2), dtype=np.int64)
    msc._kernels().measure(msc.pack(lattice), L // 2, signs, rows)
    assert tuple(int(v) for v in rows.sum(axis=0)) == lattice_observables(lattice, couplings)
    spins = msc.pack(lattice)
    state, flips = msc._streams(int(rng.integers(1 << 62)), L), np.zeros(L, dtype=np.int64)
    expected = lattice
    for colour in (0, 1):
        msc._kernels().half_sweep(spins, colour, L // 2, 0, 0, False, signs, state, flips)
        expected = _zero_temperature_reference(expected, colour, couplings)
        assert (msc.unpack(spins, L) == expected).all(), f"colour {colour}"


@pytest.mark.parametrize("L", [4, 8, 128, 256])
def test_the_torch_kernels_apply_each_bond_sign(L, rng):
    """The gpu backend's sampler, run on the CPU: bond sums and a zero-temperature sweep."""
    import torch

    from bitspin.sw.ising import msc_torch
    lattice = rng.integers(0, 2, (L, L), dtype=np.uint8)
    couplings = random_couplings(L, int(rng.integers(1 << 62)))
    signs = msc_torch.torch_signs(couplings, L, torch.device("cpu"))
    spins = torch.from_numpy(msc.pack(lattice).view(np.int64))
    m, b = msc_torch.observables(spins, L // 2, signs)
    assert (int(m), int(b)) == lattice_observables(lattice, couplings)
    generator = torch.Generator().manual_seed(int(rng.integers(1 << 62)))
    expected = lattice
    for colour in (0, 1):
        msc_torch.half_sweep(spins, colour, L // 2, 0, 0, False, generator, signs)
        expected = _zero_temperature_reference(expected, colour, couplings)
        assert (msc.unpack(spins.numpy().view(np.uint64), L) == expected).all(), colour


@pytest.mark.parametrize("L,P", [(4, 2), (8, 4), (16, 32)])
def test_the_golden_core_applies_each_bond_sign(L, P, rng):
    couplings = random_couplings(L, int(rng.integers(1 << 62)))
    core = GoldenIsingCore(IsingParams(L, P), couplings)
    core.seed(int(rng.integers(1 << 62)))
    lattice = rng.integers(0, 2, (L, L), dtype=np.uint8)
    core.load(lattice)
    frozen = threshold_table(1e6)           # β → ∞: flip exactly when ΔE ≤ 0
    magnetization, bond_sum = core.run(1, frozen)
    expected = _zero_temperature_reference(_zero_temperature_reference(lattice, 0, couplings),
                                           1, couplings)
    assert np.array_equal(core.lattice, expected)
    assert (magnetization[0], bond_sum[0]) == lattice_observables(expected, couplings)


def test_all_plus_one_couplings_change_nothing(rng):
    params, seed = IsingParams(16, 8), int(rng.integers(1 << 62))
    table = threshold_table(float(rng.uniform(0.2, 0.8)))
    plain = run_golden(params, table, sweeps=10, seed=seed)
    uniform = run_golden(params, table, sweeps=10, seed=seed, couplings=uniform_couplings(16))
    assert observables_sha256(plain.magnetization, plain.bond_sum) == \
        observables_sha256(uniform.magnetization, uniform.bond_sum)
    assert np.array_equal(plain.final_lattice, uniform.final_lattice)


def test_enumeration_with_uniform_couplings_is_the_ferromagnet(rng):
    beta = float(rng.uniform(0.1, 1.0))
    mine, theirs = exact_couplings(uniform_couplings(4), beta), brute_force(4, beta)
    for key in ("log_partition", "energy_per_spin", "specific_heat_per_spin",
                "abs_magnetization_per_spin"):
        assert mine[key] == pytest.approx(theirs[key], rel=1e-10), key


def test_the_overlap_moments_match_a_sum_over_pairs_of_states(rng):
    """L = 2: 16 states, 256 pairs, so ⟨q²⟩ and ⟨q⁴⟩ can be summed directly."""
    couplings = Couplings(*(rng.choice([-1, 1], (2, 2, 2)).astype(np.int8)))
    beta = float(rng.uniform(0.2, 1.5))
    states = np.array(list(itertools.product((-1, 1), repeat=4))).reshape(-1, 2, 2)
    energy = np.array([-lattice_observables((s > 0).astype(np.uint8), couplings)[1]
                       for s in states])
    p = np.exp(-beta * energy)
    p /= p.sum()
    q = np.einsum("aij,bij->ab", states, states) / 4
    weights = np.outer(p, p)
    exact = exact_couplings(couplings, beta, overlap=True)
    assert exact["q2"] == pytest.approx((weights * q ** 2).sum(), rel=1e-12)
    assert exact["q4"] == pytest.approx((weights * q ** 4).sum(), rel=1e-12)
