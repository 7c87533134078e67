"""Parallel tempering (sw/ising/tempering.py): exact energies and specific heats of random ±J
instances for golden and cpu, Kaufman's values with all +1 couplings, the documented exchange
stream, and tempering equilibrating an instance that plain Metropolis does not."""

import json
import math

import pytest

from bitspin.sw.cli.main import main
from bitspin.sw.ising import backends
from bitspin.sw.ising.couplings import random_couplings, uniform_couplings
from bitspin.sw.ising.exact import finite_energy_per_spin, finite_specific_heat_per_spin
from bitspin.sw.ising.replica_samplers import replica_sampler
from bitspin.sw.ising.rng import splitmix64
from bitspin.sw.ising.spin_glass_exact import exact_couplings
from bitspin.sw.ising.temper_report import temper_summary
from bitspin.sw.ising.tempering import EXCHANGE_STREAM_KEY, TemperConfig, temper

LADDER = [0.6, 0.9, 1.3, 1.9, 2.8]


def _temper(backend, config, couplings):
    sampler = replica_sampler(backend, config, len(config.temperatures) * config.copies,
                              couplings)
    run = temper(sampler, config, couplings)
    return run, temper_summary(backend, config, run)


def _within(measured: dict, exact: float, sigmas: float = 4.0) -> bool:
    return abs(measured["mean"] - exact) <= sigmas * measured["stderr"] + 2e-3


@pytest.mark.parametrize("backend", ["golden", "cpu"])
def test_random_instances_reach_the_exact_values(backend, rng, tmp_path):
    instance = int(rng.integers(1 << 62))
    couplings = random_couplings(4, instance)
    couplings.save(tmp_path / "c.npz")
    config = TemperConfig(LADDER, size=4, lanes=int(rng.choice([1, 2, 4, 8])), sweeps=6000,
                          burn_in=500, exchange_every=int(rng.integers(1, 4)),
                          seed=int(rng.integers(1 << 62)), couplings=str(tmp_path / "c.npz"),
                          threads=1)
    config.validate()
    _, summary = _temper(backend, config, couplings)
    for replica in summary["replicas"]:
        exact = exact_couplings(couplings, 1 / replica["temperature"])
        for key in ("energy_per_spin", "specific_heat_per_spin"):
            assert _within(replica[key], exact[key]), (instance, replica["temperature"], key,
                                                      replica[key], exact[key])
    assert all(0 < a <= 1 for a in summary["exchange_acceptance"])
    assert summary["round_trips"] > 0


def test_the_gpu_sampler_reaches_the_exact_values_on_the_cpu(rng):
    """The gpu backend's replicas (torch), run on the CPU device: no GPU is needed to check
    them."""
    from bitspin.sw.ising.replica_samplers import TorchReplicas
    couplings = random_couplings(4, int(rng.integers(1 << 62)))
    config = TemperConfig(LADDER[:4], size=4, sweeps=2500, burn_in=250,
                          seed=int(rng.integers(1 << 62)))
    sampler = TorchReplicas(4, 4, config.seed, couplings, J=1, device="cpu")
    summary = temper_summary("gpu", config, temper(sampler, config, couplings))
    for replica in summary["replicas"]:
        exact = exact_couplings(couplings, 1 / replica["temperature"])
        for key in ("energy_per_spin", "specific_heat_per_spin"):
            assert _within(replica[key], exact[key]), (replica["temperature"], key)


def test_all_plus_one_couplings_reproduce_kaufman(rng):
    config = TemperConfig([1.8, 2.2, 2.6, 3.2], size=8, lanes=8, sweeps=4000, burn_in=400,
                          seed=int(rng.integers(1 << 62)))
    _, summary = _temper("golden", config, uniform_couplings(8))
    for replica in summary["replicas"]:
        beta = 1 / replica["temperature"]
        assert _within(replica["energy_per_spin"], finite_energy_per_spin(8, beta))
        assert _within(replica["specific_heat_per_spin"], finite_specific_heat_per_spin(8, beta))


def test_tempering_equilibrates_what_plain_metropolis_does_not():
    """The L = 4 ferromagnet at T = 0.4: a hot start often freezes into a stripe state (two
    domain walls; shrinking one costs ΔE = 4, e^{-10} per try), so some single-temperature runs
    stay far above the exact energy for their whole length. Tempering up to T = 3.4 melts the
    stripes, and every seed reaches the exact energy in the same number of sweeps per lattice."""
    exact = finite_energy_per_spin(4, 1 / 0.4)
    plain = [backends.run("golden", backends.RunConfig(size=4, lanes=2, beta=1 / 0.4,
                                                       sweeps=1000, burn_in=100, seed=seed))
             for seed in range(1, 13)]
    stuck = [seed for seed, run in zip(range(1, 13), plain)
             if (-run.bond_sum / 16).mean() > exact + 0.1]
    assert len(stuck) >= 2, "the instance should trap some plain runs"
    for seed in stuck:
        config = TemperConfig([0.4, 0.8, 1.3, 1.9, 2.6, 3.4], size=4, lanes=2, sweeps=1000,
                              burn_in=100, seed=seed)
        _, summary = _temper("golden", config, None)
        assert summary["replicas"][0]["energy_per_spin"]["mean"] == pytest.approx(exact,
                                                                                  abs=2e-3)


def test_exchanges_follow_the_documented_stream(rng):
    """Replay a golden run's exchange decisions from its own (M, B) records and the stream."""
    seed = int(rng.integers(1 << 62))
    config = TemperConfig([0.8, 1.2, 1.7, 2.3], size=8, lanes=4, sweeps=60, burn_in=0,
                          exchange_every=3, seed=seed)
    run, _ = _temper("golden", config, None)
    betas = config.betas
    stream = iter(splitmix64((seed ^ EXCHANGE_STREAM_KEY) % (1 << 64), 100))
    slot_at = list(range(4))
    for n in range(20):
        # the energy at temperature t after round n's last sweep, from the measured records
        energy = -run.observables[3 * n + 2, 0, :, 1]
        by_slot = {slot_at[t]: energy[t] for t in range(4)}
        for i in range(n % 2, 3, 2):
            u = next(stream)
            delta = (betas[i] - betas[i + 1]) * float(by_slot[slot_at[i]] -
                                                      by_slot[slot_at[i + 1]])
            if delta >= 0 or (u >> 11) * 2.0 ** -53 < math.exp(delta):
                slot_at[i], slot_at[i + 1] = slot_at[i + 1], slot_at[i]
        assert slot_at == list(run.walks[n + 1, 0]), n


def test_the_command_prints_the_documented_json(tmp_path, capsys):
    random_couplings(4, 3).save(tmp_path / "c.npz")
    argv = ["ising", "temper", "--backend", "golden", "--size", "4", "--lanes", "2",
            "--temperatures", "0.8:2.4:4", "--couplings", str(tmp_path / "c.npz"),
            "--sweeps", "300", "--burn-in", "50", "--exchange-every", "2", "--copies", "2",
            "--seed", "9", "--plot", str(tmp_path / "t.png"), "--json"]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert [r["temperature"] for r in summary["replicas"]] == pytest.approx([0.8, 1.333333,
                                                                            1.866667, 2.4])
    for replica in summary["replicas"]:
        assert {"energy_per_spin", "abs_magnetization_per_spin", "specific_heat_per_spin",
                "final_lattice_sha256", "q2", "binder_q"} <= set(replica)
    assert len(summary["exchange_acceptance"]) == 3
    for key in ("round_trips", "observables_sha256", "spin_updates_per_ns", "elapsed_s"):
        assert key in summary
    assert (tmp_path / "t.png").stat().st_size > 10_000
    assert main(argv) == 0          # the same seed, the same hashes
    again = json.loads(capsys.readouterr().out)
    assert again["observables_sha256"] == summary["observables_sha256"]


@pytest.mark.parametrize("argv,needle", [
    (["--temperatures", "1.0"], "2 to 64 temperatures"),
    (["--temperatures", "1.0,1.0"], "differ"),
    (["--temperatures", "1.0,2.0", "--exchange-every", "0"], "exchange-every"),
    (["--temperatures", "1.0,2.0", "--backend", "gpu", "--field", "0.5"], "h = 0 Metropolis"),
    (["--temperatures", "1.0,2.0", "--backend", "cpu", "--field", "0.5"], "h = 0 Metropolis"),
    (["--temperatures", "1.0,-2.0"], "positive"),
])
def test_bad_input_is_refused(argv, needle, capsys):
    code = main(["ising", "temper", "--size", "4", *argv])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2 and needle in err and "Traceback" not in err, err

