"""Parallel tempering (replica exchange) over R temperatures, on any replica sampler.

Schedule. Every slot (a lattice with its own random stream, ``replica_samplers``) runs K sweeps
at the temperature it holds; then adjacent temperatures propose exchanges: pairs (0,1), (2,3), …
after even rounds, (1,2), (3,4), … after odd rounds (round n counts from 0). Temperatures are
indexed in ascending order. An exchange swaps the two slots' temperatures (on a chip: their
threshold tables), never the lattices. With ``copies = 2`` two independent sets of R slots
(slots c·R … c·R + R − 1) run side by side, each with its own exchanges.

Decision. The pair (i, i+1) holding energies E_i, E_{i+1} (E = −J·B − h·M after the round's
last sweep) is exchanged with probability min(1, exp((β_i − β_{i+1})(E_i − E_{i+1}))). The
exchange stream of copy c is SplitMix64 started at (S ⊕ EXCHANGE_STREAM_KEY) + c; every proposal
takes one output u, in round order and pair order, whether or not it is needed, and accepts when
Δ ≥ 0 or (u >> 11)·2^−53 < exp(Δ). The host decides from the (M, B) the samplers report, so
golden and device, which report the same (M, B), make the same decisions.

With ``exchange_rule = "chip"`` the decisions follow the fixed-point rule that a chip can apply
instead (``hw.ising.exchange_spec``, its own stream; ``sw.ising.exchange_fixed``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from bitspin.hw.ising.exchange_spec import EXCHANGE_STREAM_KEY, pair_starts
from bitspin.hw.ising.params import DEFAULT_ISING_PARAMS, LANE_RNGS, SPLITMIX64_GAMMA

from .exchange_fixed import FixedExchange, exchange_stream_seed
from .rng import splitmix64

__all__ = ["TemperConfig", "TemperRun", "temper", "EXCHANGE_STREAM_KEY", "EXCHANGE_RULES"]

MAX_REPLICAS = 64
#: Who decides, by the rule they can apply: the host in floating point, or a chip in fixed point.
EXCHANGE_RULES = ("host", "chip")


@dataclass
class TemperConfig:
    """A parallel-tempering run, with the CLI's names."""
    temperatures: list[float]
    size: int = 16
    sweeps: int = 2000
    burn_in: int = 200
    exchange_every: int = 1
    copies: int = 1
    seed: int = 1
    lanes: int = DEFAULT_ISING_PARAMS.lanes
    k: int = DEFAULT_ISING_PARAMS.k
    rng: str = LANE_RNGS[0]
    algorithm: str = "metropolis"
    field: float = 0.0
    coupling: int = 1
    couplings: str | None = None
    threads: int | None = None
    exchange_rule: str = EXCHANGE_RULES[0]

    def validate(self) -> None:
        """Raise ``ValueError`` with a clear message for any parameter no backend accepts."""
        from .backends import RunConfig
        temps = self.temperatures
        if not 2 <= len(temps) <= MAX_REPLICAS:
            raise ValueError(f"tempering needs 2 to {MAX_REPLICAS} temperatures, not "
                             f"{len(temps)}")
        if not all(math.isfinite(t) and t > 0 for t in temps):
            raise ValueError("temperatures must be positive and finite")
        if len(set(temps)) != len(temps):
            raise ValueError("temperatures must differ from each other")
        if self.exchange_rule not in EXCHANGE_RULES:
            raise ValueError(f"exchange rule must be one of {', '.join(EXCHANGE_RULES)}, not "
                             f"{self.exchange_rule!r}")
        if self.exchange_rule == "chip":
            from bitspin.hw.ising.exchange_spec import exchange_coefficients
            betas = self.betas
            for i in range(len(betas) - 1):
                exchange_coefficients(betas[i], betas[i + 1], self.coupling, self.field)
        if self.copies not in (1, 2):
            raise ValueError(f"copies must be 1 or 2, not {self.copies!r}")
        if not isinstance(self.exchange_every, int) or self.exchange_every < 1:
            raise ValueError(f"exchange-every must be a positive integer, not "
                             f"{self.exchange_every!r}")
        for t in temps:   # every per-temperature check of a plain run
            RunConfig(size=self.size, beta=1 / t, sweeps=self.sweeps, burn_in=self.burn_in,
                      seed=self.seed, lanes=self.lanes, k=self.k, algorithm=self.algorithm,
                      field=self.field, coupling=self.coupling, rng=self.rng,
                      couplings=self.couplings, threads=self.threads).validate()

    @property
    def betas(self) -> list[float]:
        return [1 / t for t in sorted(self.temperatures)]


@dataclass
class TemperRun:
    """What a tempering run returns; ``observables`` is int64 [measured sweeps, copies, R, 2]:
    the (M, B) at each temperature (ascending) after each measured sweep."""
    observables: np.ndarray
    final_lattices: list[list[np.ndarray]]      # [copy][temperature]
    accepted: np.ndarray                         # [R − 1] over both copies
    proposed: np.ndarray
    round_trips: int
    walks: np.ndarray                            # [rounds + 1, copies, R]: slot at temperature
    overlaps: np.ndarray | None                  # [measured rounds, R] with copies = 2
    flips: int
    updates: int
    elapsed_s: float
    sampler: str = ""
    extra: dict = field(default_factory=dict)


class _ExchangeStream:
    """SplitMix64 from ``state``, drawn in chunks (the n-th output's state is
    state + (n + 1)·γ, so a chunk starts where the last one ended)."""

    CHUNK = 1024

    def __init__(self, state: int):
        self.state, self.buffer = state, []

    def next(self) -> int:
        if not self.buffer:
            self.buffer = splitmix64(self.state, self.CHUNK)[::-1]
            self.state = (self.state + self.CHUNK * SPLITMIX64_GAMMA) % (1 << 64)
        return self.buffer.pop()


class _RoundTrips:
    """Counts slots that went from the lowest temperature to the highest and back."""

    def __init__(self, slots: int):
        self.heading = [None] * slots   # "up" once at the lowest, "down" once at the highest
        self.count = 0

    def visit(self, slot_at):
        low, high = slot_at[0], slot_at[-1]
        if self.heading[low] == "down":
            self.count += 1
        self.heading[low] = "up"
        if self.heading[high] == "up":
            self.heading[high] = "down"


def _decide(delta: float, u: int) -> bool:
    return delta >= 0 or (u >> 11) * 2.0 ** -53 < math.exp(delta)


def temper(sampler, config: TemperConfig, couplings=None, progress=None) -> TemperRun:
    """Run ``config`` on ``sampler`` (``replica_samplers``); ``progress(sweeps_done)``."""
    betas = config.betas
    R, C, K = len(betas), config.copies, config.exchange_every
    J, h = config.coupling, config.field
    slot_at = np.array([[c * R + t for t in range(R)] for c in range(C)])   # [copy, temperature]
    rounds = -(-config.sweeps // K)
    streams = [_ExchangeStream(exchange_stream_seed(config.seed, c)) for c in range(C)]
    chip = ([FixedExchange(betas, J, h, config.seed, c) for c in range(C)]
            if config.exchange_rule == "chip" else None)
    accepted, proposed = np.zeros(R - 1, np.int64), np.zeros(R - 1, np.int64)
    trips = [_RoundTrips(C * R) for _ in range(C)]
    measured = config.sweeps - config.burn_in
    observables = np.empty((measured, C, R, 2), dtype=np.int64)
    overlaps = [] if C == 2 else None     # one row per measured round: q at each temperature
    walks = [slot_at.copy()]
    n = config.size ** 2
    started = time.perf_counter()
    done = 0
    for round_ in range(rounds):
        block = min(K, config.sweeps - done)
        betas_of_slot = np.empty(C * R)
        betas_of_slot[slot_at.ravel()] = np.tile(betas, C)
        records = sampler.advance(block, betas_of_slot)         # [block, slots, 2]
        for t in range(block):
            sweep = done + t
            if sweep >= config.burn_in:
                observables[sweep - config.burn_in] = records[t][slot_at]
        done += block
        if overlaps is not None and done > config.burn_in:
            # The lattices are read at the end of each round (every K sweeps), not every sweep.
            spins = [[sampler.lattice(slot_at[c, temp]).astype(np.int64) * 2 - 1
                      for temp in range(R)] for c in range(C)]
            overlaps.append([float((a * b).sum()) / n for a, b in zip(*spins)])
        energy = -J * records[-1, :, 1] - h * records[-1, :, 0]
        for c in range(C):
            for i in pair_starts(R, round_):
                low, high = slot_at[c, i], slot_at[c, i + 1]
                proposed[i] += 1
                if chip:
                    exchange = chip[c].propose(i, records[-1, low], records[-1, high])
                else:
                    u = streams[c].next()
                    delta = (betas[i] - betas[i + 1]) * float(energy[low] - energy[high])
                    exchange = _decide(delta, u)
                if exchange:
                    accepted[i] += 1
                    slot_at[c, i], slot_at[c, i + 1] = high, low
            trips[c].visit(slot_at[c])
        walks.append(slot_at.copy())
        if progress:
            progress(done)
    elapsed = time.perf_counter() - started
    finals = [[sampler.lattice(slot_at[c, t]).copy() for t in range(R)] for c in range(C)]
    figures = getattr(sampler, "figures", None)
    return TemperRun(observables, finals, accepted, proposed, sum(t.count for t in trips),
                     np.array(walks), None if overlaps is None else np.array(overlaps),
                     sampler.flips, config.sweeps * n * R * C, elapsed, sampler.name,
                     figures() if figures else {})
