"""Elaboration parameters of the Ising core and everything derived from them.

This module is the one source of the core's geometry, schedule, threshold-table layout and RNG
constants: the gateware and the golden model (``bitspin.sw.ising.golden``) both import it.

Geometry. The L×L torus is stored as G words of W = R·L bits: word g holds rows g·R … g·R+R−1,
and bit r·L + x of the word is the spin at column x of row g·R + r (1 = up).

Schedule. A sweep is a colour-0 half ((x + y) even) then a colour-1 half. A half is G·S steps;
step n = g·S + s updates P sites of the half's colour c, lane i taking the j-th colour-c site of
group g, j = s·P + i: row y = g·R + j // (L/2), column x = 2·(j mod L/2) + ((c + y) mod 2).
With P ≤ L/2 a group is one row (R = 1) covered in S = L/(2P) steps; with P ≥ L/2 one step
covers R = 2P/L whole rows (S = 1).

Threshold table. Entry 5·up + ups (up = 1 for a +1 spin, ups = number of up neighbours, 0..4)
holds a (k+1)-bit threshold T; the site flips when its k-bit random number r satisfies r < T.

RNG. Each lane runs xoroshiro64+ (Blackman & Vigna, 2018): 64 bits of state (s0, s1), output
(s0 + s1) mod 2^32, of which the lane uses the top k bits; step: t = s0 ^ s1,
s0 ← rotl(s0, 26) ^ t ^ (t << 9), s1 ← rotl(t, 13). Lane i is seeded with output i of
SplitMix64 started at the 64-bit seed (s0 = low word, s1 = high word; an all-zero state, which
has probability 2^−64, becomes s0 = 1). With ``rng="wheel"`` the lanes take their numbers
from lagged-Fibonacci wheels instead, one per 64 lanes (``wheel_spec``): the lean lanes.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["IsingParams", "IsingOp", "ALGORITHMS", "LANE_RNGS", "TABLE_SIZE", "table_index",
           "observable_bits", "LANE_RULES", "lane_rule_table", "rule_algorithms", "XOROSHIRO64_ROTATE_S0",
           "XOROSHIRO64_SHIFT", "XOROSHIRO64_ROTATE_S1", "SPLITMIX64_GAMMA", "SPLITMIX64_MUL1",
           "SPLITMIX64_MUL2", "READ_LATENCY", "TAIL_CYCLES", "PRIME_CYCLES",
           "PRIME_CYCLES_FEW_GROUPS"]

ALGORITHMS = ("metropolis", "heatbath")
#: How the lanes turn the host's table into thresholds: the whole 10-entry table per lane, or the
#: two thresholds of Metropolis at h = 0 (``lane_rule_table``: the lean lanes' cheaper mode).
LANE_RULES = ("table", "metropolis-h0")
#: The lanes' generators: one xoroshiro64+ per lane, or a lagged-Fibonacci wheel per 64 lanes.
LANE_RNGS = ("xoroshiro64+", "wheel")
TABLE_SIZE = 10
#: The most tiles (replicas) a core holds: a tempering ladder of 32 temperatures, two copies.
MAX_REPLICAS = 64

XOROSHIRO64_ROTATE_S0 = 26
XOROSHIRO64_SHIFT = 9
XOROSHIRO64_ROTATE_S1 = 13
SPLITMIX64_GAMMA = 0x9E3779B97F4A7C15
SPLITMIX64_MUL1 = 0xBF58476D1CE4E5B9
SPLITMIX64_MUL2 = 0x94D049BB133111EB

# Clocks of a half-sweep pass beyond its G·S update steps. The read port's address and data are
# each registered (READ_LATENCY: three clocks from address to data). A pass ends with three tail
# clocks (the threshold lookup, the compare and the merge of its last step), in which the read
# port already asks for groups 0, 1 and G-1 of the next pass; G-1's last write reaches the block
# RAM in the same clock as that read (the port is transparent to the write). Three priming clocks
# then ask for the first steps' groups while those three land in the window. With fewer than
# three groups, groups 0 and 1 are still being written during the tail, so the pass primes all
# five.
READ_LATENCY = 3
TAIL_CYCLES = 3
PRIME_CYCLES = 3
PRIME_CYCLES_FEW_GROUPS = 5


def observable_bits(params: "IsingParams") -> tuple[int, int]:
    """Signed widths of M and B for an L×L lattice (|M| ≤ L², |B| ≤ 2L²)."""
    n = params.size ** 2
    return n.bit_length() + 1, (2 * n).bit_length() + 1


def rule_algorithms(lane_rule: str) -> tuple[str, ...]:
    """The update rules a core with ``lane_rule`` lanes runs: Metropolis only for
    ``metropolis-h0``, every one of :data:`ALGORITHMS` otherwise."""
    return ("metropolis",) if lane_rule == "metropolis-h0" else ALGORITHMS


def h0_thresholds(table) -> tuple[int, int, bool]:
    """What the ``metropolis-h0`` lanes take from a host table: ``(far, near, ferro)``.

    At h = 0 a Metropolis flip costs ΔE = 4J(a − 2), a = the neighbours that agree with the
    spin (after the bonds' signs), so only two entries differ from 2^k: a = 4 and 3 for J = +1
    (entries 9 and 8: an up spin with 4 and 3 up neighbours), a = 0 and 1 for J = −1 (entries 5
    and 6). ``ferro`` (J = +1) is read from the table itself: T[9] ≤ T[5] (equal only at β = 0,
    where every entry is 2^k and either reading gives the same thresholds).
    """
    ferro = int(table[9]) <= int(table[5])
    return (int(table[9]), int(table[8]), True) if ferro else (int(table[5]), int(table[6]), False)


def lane_rule_table(params: "IsingParams", table) -> list[int]:
    """The 10-entry table that the lanes of ``params.lane_rule`` realise for the host's ``table``
    (the golden model runs this one): ``table`` itself, or for ``metropolis-h0`` the entries
    ``h0_thresholds`` gives for a flip that costs energy and 2^k (always) for the others. For a
    Metropolis table of h = 0 the two are equal."""
    if params.lane_rule == "table":
        return [int(t) for t in table]
    far, near, ferro = h0_thresholds(table)
    realised = []
    for index in range(TABLE_SIZE):
        up, ups = divmod(index, 5)
        agree = ups if up else 4 - ups
        cost = agree - 2 if ferro else 2 - agree
        realised.append(far if cost == 2 else near if cost == 1 else 1 << params.k)
    return realised


def table_index(up: int, ups: int) -> int:
    """The threshold-table entry for a site that is up (1) or down (0) with ``ups`` up neighbours."""
    return 5 * up + ups


def _is_power_of_two(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0 and \
        value & (value - 1) == 0


#: The random-number and threshold precision unless told otherwise.
DEFAULT_K = 16


@dataclass(frozen=True)
class IsingParams:
    """Elaboration parameters of the Ising core.

    Parameters
    ----------
    size
        L, the side of the torus: a power of two from 4 to 1024 (4: small enough to enumerate).
    lanes
        P, the spins updated per clock: a power of two from 1 to L²/2.
    k
        The random-number and threshold precision in bits, 8 to 32.
    algorithms
        The update rules the host may select (both run on the same datapath, which
        is driven only by the threshold table).
    rng
        The lanes' generator, one of :data:`LANE_RNGS`.
    sums
        Whether the core adds up the observables on chip and decimates its record stream
        (``sums_spec``); the iCEBreaker's UP5K has no room for it.
    couplings
        Whether the lattice memory holds a sign bit per bond beside each site (the ±J spin
        glass): each memory word is then the W spins, the W right-bond signs and the W
        down-bond signs (``memory_word_bits``); a sign of 1 (a −1 bond) inverts the neighbour
        before it is counted. All-zero signs are the uniform couplings.
    lane_rule
        One of :data:`LANE_RULES`: ``table`` (every lane looks up the whole table: Metropolis and
        heat-bath, any J and h) or ``metropolis-h0`` (two thresholds per lane, for Metropolis at
        h = 0 with J = ±1: ``lane_rule_table``; then ``algorithms`` is ``("metropolis",)``).
    replicas
        R, the tiles: independent lattices of L×L, each with its own lanes, memory, threshold
        table (temperature), RNG stream (seed + tile) and sums (``hw.ising.tiles``), from 1 to
        :data:`MAX_REPLICAS`.
    """
    size: int
    lanes: int
    k: int = DEFAULT_K
    algorithms: tuple[str, ...] = ALGORITHMS
    rng: str = LANE_RNGS[0]
    sums: bool = False
    replicas: int = 1
    couplings: bool = False
    lane_rule: str = LANE_RULES[0]

    def __post_init__(self):
        if not _is_power_of_two(self.size) or not 4 <= self.size <= 1024:
            raise ValueError(f"lattice size L must be a power of two from 4 to 1024, not "
                             f"{self.size!r}")
        if not _is_power_of_two(self.lanes) or self.lanes > self.size ** 2 // 2:
            raise ValueError(f"lanes P must be a power of two from 1 to L²/2 = "
                             f"{self.size ** 2 // 2}, not {self.lanes!r}")
        if not isinstance(self.k, int) or isinstance(self.k, bool) or not 8 <= self.k <= 32:
            raise ValueError(f"precision k must be an integer from 8 to 32, not {self.k!r}")
        unknown = set(self.algorithms) - set(ALGORITHMS)
        if not self.algorithms or unknown:
            raise ValueError(f"algorithms must be a non-empty subset of {ALGORITHMS}, not "
                             f"{self.algorithms!r}")
        if not isinstance(self.sums, bool):
            raise ValueError(f"sums must be True or False, not {self.sums!r}")
        if self.rng not in LANE_RNGS:
            raise ValueError(f"rng must be one of {', '.join(LANE_RNGS)}, not {self.rng!r}")
        if not isinstance(self.couplings, bool):
            raise ValueError(f"couplings must be True or False, not {self.couplings!r}")
        if self.lane_rule not in LANE_RULES:
            raise ValueError(f"lane_rule must be one of {', '.join(LANE_RULES)}, not "
                             f"{self.lane_rule!r}")
        if self.lane_rule == "metropolis-h0" and tuple(self.algorithms) != ("metropolis",):
            raise ValueError("lane_rule metropolis-h0 runs Metropolis only: algorithms must be "
                             f"('metropolis',), not {tuple(self.algorithms)!r}")
        if (not isinstance(self.replicas, int) or isinstance(self.replicas, bool)
                or not 1 <= self.replicas <= MAX_REPLICAS):
            raise ValueError(f"replicas R must be an integer from 1 to {MAX_REPLICAS}, not "
                             f"{self.replicas!r}")

    @property
    def rows_per_group(self) -> int:
        """R: rows per memory word."""
        return max(1, 2 * self.lanes // self.size)

    @property
    def groups(self) -> int:
        """G: memory words (the depth of the lattice memory)."""
        return self.size // self.rows_per_group

    @property
    def lattice_address_bits(self) -> int:
        """Width of the lattice-memory address (ISING_LATTICE_ADDR wraps at 2**this)."""
        return (max(2, self.groups) - 1).bit_length()

    @property
    def steps_per_group(self) -> int:
        """S: clocks spent on one group in a half-sweep."""
        return max(1, self.size // (2 * self.lanes))

    @property
    def word_bits(self) -> int:
        """W: the width of a lattice-memory word."""
        return self.rows_per_group * self.size

    @property
    def memory_word_bits(self) -> int:
        """The width of a lattice-memory word and of the host's lattice port: W, or 3·W with
        couplings (spins, right-bond signs, down-bond signs, low to high)."""
        return self.word_bits * (3 if self.couplings else 1)

    @property
    def steps_per_half(self) -> int:
        """G·S update steps in a half-sweep."""
        return self.groups * self.steps_per_group

    @property
    def prime_cycles(self) -> int:
        """Clocks that prime a pass's three-group window (see ``PRIME_CYCLES``)."""
        return PRIME_CYCLES if self.groups >= 3 else PRIME_CYCLES_FEW_GROUPS

    @property
    def pass_overhead_cycles(self) -> int:
        """Clocks of a pass beyond its update steps: priming and tail."""
        return self.prime_cycles + TAIL_CYCLES

    @property
    def measure_pass_cycles(self) -> int:
        """The read-only pass that ends a RUN by measuring the final lattice."""
        return self.steps_per_half + self.pass_overhead_cycles

    @property
    def cycles_per_sweep(self) -> int:
        """Clocks per sweep in steady state: L²/P update clocks plus the pass overheads."""
        return 2 * (self.steps_per_half + self.pass_overhead_cycles)

    @property
    def lane_utilization(self) -> float:
        """Share of sweep clocks in which all P lanes update."""
        return 2 * self.steps_per_half / self.cycles_per_sweep

    def as_dict(self) -> dict:
        return {"size": self.size, "lanes": self.lanes, "k": self.k,
                "algorithms": list(self.algorithms), "rng": self.rng, "sums": self.sums,
                "replicas": self.replicas, "couplings": self.couplings,
                **({"lane_rule": self.lane_rule} if self.lane_rule != LANE_RULES[0] else {})}


#: The core that host runs and virtual boards use unless a flag or a board says otherwise.
DEFAULT_ISING_PARAMS = IsingParams(size=32, lanes=16)


from amaranth.lib import enum as _enum  # noqa: E402  (kept beside the facts it encodes)


class IsingOp(_enum.Enum, shape=3):
    """Operations of the Ising core, started by a ``start`` pulse."""
    NOP = 0
    SEED = 1        # seed every lane's RNG from the 64-bit seed (SplitMix64)
    INIT_COLD = 2   # all spins up
    INIT_HOT = 3    # every spin from its lane's next draw (two half-passes)
    RUN = 4         # ``sweeps`` sweeps, streaming (M, B) after each one
