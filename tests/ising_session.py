"""Drive one scripted session on the Ising core in simulation and on the golden model (tests, demo)."""

from __future__ import annotations

import numpy as np

from bitspin.hw.ising.core import IsingCore
from bitspin.hw.ising.params import IsingParams
from bitspin.sim import simulate
from bitspin.sw.ising import lattice_words, report
from bitspin.sw.ising.golden import GoldenIsingCore


def lattice_to_words(params: IsingParams, lattice: np.ndarray, couplings=None) -> list[str]:
    """Pack a [L, L] uint8 lattice (and the couplings' signs, with a core that holds them) into
    the core's memory words (hex strings, for cocotb)."""
    return [f"{word:x}" for word in lattice_words.lattice_to_words(params, lattice, couplings)]


def words_to_lattice(params: IsingParams, words: list[str]) -> np.ndarray:
    return lattice_words.words_to_lattice(params, [int(word, 16) for word in words])


def golden_session(params: IsingParams, ops, thresholds, couplings=None):
    core = GoldenIsingCore(params, couplings)
    observables = []
    for name, value in ops:
        if name == "seed":
            core.seed(value)
        elif name == "cold":
            core.init_cold()
        elif name == "hot":
            core.init_hot()
        elif name == "load":
            core.load(words_to_lattice(params, value))
        elif name == "run":
            m, b = core.run(value, thresholds)
            observables += [[int(x), int(y)] for x, y in zip(m, b)]
    return core, observables


def observables_sha256(observables) -> str:
    """The contract's hash (``bitspin.sw.ising.report``) of a list of [M, B] pairs."""
    pairs = np.asarray(observables, dtype=np.int64).reshape(-1, 2)
    return report.observables_sha256(pairs[:, 0], pairs[:, 1])


def hardware_session(params: IsingParams, ops, thresholds, *, simulator="verilator",
                     ready_probability=1.0, bench_seed=0, threshold_table="auto", every=1):
    result = simulate(IsingCore(params, threshold_table), test_module="bitspin.sim.benches.ising_core",
                      simulator=simulator,
                      testcase="session", args={"ops": ops, "thresholds": [int(t) for t in thresholds],
                            "threshold_bits": params.k + 1, "groups": params.groups,
                            "ready_probability": ready_probability, "bench_seed": bench_seed,
                            "every": every})
    out = result.outputs
    return words_to_lattice(params, out["lattice"]), out["observables"], out
