"""LaneArray (hw/ising/lane_array.py) under Amaranth's simulator: a whole colour half of steps
over a random lattice (with random bond signs when the core has couplings), random thresholds
and random numbers, in UPDATE, HOT and MEASURE modes: with the shared table, with per-lane
distributed-RAM tables, and with the two thresholds of the ``metropolis-h0`` lane rule. Each
step's stage-B outputs are checked against the sites of ``golden.site_schedule`` computed in
NumPy, and its count bits by their pop-counts."""

import numpy as np
import pytest

from bitspin.hw.ising.lane_array import SETTLE_CYCLES, LaneArray
from bitspin.hw.ising.params import IsingParams, LANE_RULES, TABLE_SIZE, lane_rule_table
from bitspin.hw.ising.sequencer import PassMode
from bitspin.hw.ising.threshold_tables import table_load_cycles
from bitspin.sw.ising.couplings import random_couplings
from bitspin.sw.ising.golden import site_schedule
from bitspin.sw.ising.lattice_words import lattice_to_words
from tests.pysim import run_pysim

SHAPES = [(4, 8), (8, 2), (8, 4), (8, 8), (16, 4), (16, 16)]


def lane_sites(p: IsingParams, lattice, couplings, colour):
    """Per step and lane: the site's spin, its up neighbours (after the bonds' signs) and x."""
    L = p.size
    y, x = site_schedule(p, colour)
    neg = couplings.negations() if couplings is not None else None
    around = {"right": lattice[y, (x + 1) % L], "left": lattice[y, (x - 1) % L],
              "down": lattice[(y + 1) % L, x], "up": lattice[(y - 1) % L, x]}
    if neg is not None:
        around = {d: v ^ neg[d][y, x] for d, v in around.items()}
    return (lattice[y, x].astype(np.int64), sum(v.astype(np.int64) for v in around.values()), x)


def expected_steps(p: IsingParams, lattice, couplings, colour, thresholds, draws, mode):
    """Per step: (new, par, flip bits) as ints over the lanes, and the chunk's (ups, agree)."""
    L, P, k = p.size, p.lanes, p.k
    spin, up_count, x = lane_sites(p, lattice, couplings, colour)
    thresholds = np.asarray(lane_rule_table(p, thresholds))
    neg = couplings.negations() if couplings is not None else None
    steps = []
    for n in range(p.steps_per_half):
        old, ups, xx = spin[n], up_count[n], x[n]
        r = draws[n]
        if mode == PassMode.HOT:
            new, flip = r >> (k - 1), np.zeros(P, dtype=np.int64)
        else:
            flip = (r < thresholds[5 * old + ups]).astype(np.int64) * (mode == PassMode.UPDATE)
            new = old ^ flip
        # The chunk the step reads: rows g·R … (S = 1), or a 2P-column slice of row g (S > 1).
        g, s = divmod(n, p.steps_per_group)
        if p.steps_per_group == 1:
            rows, cols = range(g * p.rows_per_group, (g + 1) * p.rows_per_group), range(L)
        else:
            rows, cols = [g], range(s * 2 * P, (s + 1) * 2 * P)
        spins = lattice[np.ix_(list(rows), list(cols))].astype(np.int64)
        right = lattice[np.ix_(list(rows), [(c + 1) % L for c in cols])].astype(np.int64)
        above = lattice[np.ix_([(r - 1) % L for r in rows], list(cols))].astype(np.int64)
        if neg is not None:
            right = right ^ neg["right"][np.ix_(list(rows), list(cols))]
            above = above ^ neg["up"][np.ix_(list(rows), list(cols))]
        agree = int((spins == right).sum() + (spins == above).sum())
        bits = lambda v: sum(int(b) << i for i, b in enumerate(v))  # noqa: E731
        steps.append((bits(new), bits(xx & 1), bits(flip), int(spins.sum()), agree))
    return steps


@pytest.mark.parametrize("table", ["mux", "lutram"])
def test_one_half_of_steps_equals_numpy(table, rng):
    size, lanes = SHAPES[int(rng.integers(len(SHAPES)))]
    lane_rule = str(rng.choice(LANE_RULES))
    p = IsingParams(size, lanes, k=int(rng.choice([8, 12, 16])),
                    couplings=bool(rng.random() < 0.5), lane_rule=lane_rule,
                    algorithms=("metropolis",) if lane_rule == "metropolis-h0" else
                    ("metropolis", "heatbath"))
    L, P, k, S, G = p.size, p.lanes, p.k, p.steps_per_group, p.groups
    lattice = rng.integers(0, 2, (L, L)).astype(np.uint8)
    couplings = random_couplings(L, int(rng.integers(1 << 32))) if p.couplings else None
    words = lattice_to_words(p, lattice, couplings)
    thresholds = rng.integers(0, (1 << k) + 1, TABLE_SIZE)
    if rng.random() < 0.2:     # β = 0: every entry 2^k (metropolis-h0 reads J's sign as +1)
        thresholds[:] = 1 << k
    draws = rng.integers(0, 1 << k, (p.steps_per_half, P))
    # A quarter of the numbers equal their lane's threshold (or one less): the compare's edge.
    colour = int(rng.integers(2))
    spin, ups, _ = lane_sites(p, lattice, couplings, colour)
    edge = rng.random(draws.shape) < 0.25
    near = np.asarray(lane_rule_table(p, thresholds))[5 * spin + ups] - \
        rng.integers(0, 2, draws.shape)
    draws = np.where(edge, np.clip(near, 0, (1 << k) - 1), draws)
    mode = [PassMode.UPDATE, PassMode.UPDATE, PassMode.HOT, PassMode.MEASURE][
        int(rng.integers(4))]
    want = expected_steps(p, lattice, couplings, colour, thresholds, draws, mode)
    dut = LaneArray(p, threshold_table=table)
    seen = {}

    async def bench(ctx):
        ctx.set(dut.thresholds, [int(t) for t in thresholds])
        ctx.set(dut.colour, colour)
        ctx.set(dut.mode, mode)
        ctx.set(dut.measure, 1)
        if table == "lutram":
            for step in range(table_load_cycles(P)):
                ctx.set(dut.table_we, 1)
                ctx.set(dut.table_step, step)
                await ctx.tick()
            ctx.set(dut.table_we, 0)
        # The colour, J's sign and the threshold pair reach the lanes' copies, as in the
        # core's TABLE state (which lasts longer).
        assert table_load_cycles(P) >= SETTLE_CYCLES
        await ctx.tick().repeat(SETTLE_CYCLES)
        steps = p.steps_per_half
        for t in range(steps + 2):
            if t < steps:
                g, s = divmod(t, S)
                ctx.set(dut.prev, words[(g - 1) % G])
                ctx.set(dut.cur, words[g])
                ctx.set(dut.nxt, words[(g + 1) % G])
                ctx.set(dut.g, g)
                ctx.set(dut.s, s)
            ctx.set(dut.stepping, int(t < steps))
            if 1 <= t <= steps:
                ctx.set(dut.rand, [int(v) for v in draws[t - 1]])
            await ctx.tick()
            # After this clock: stage A holds step t, stage B step t - 2.
            if t < steps:
                seen.setdefault(t, {})["counts"] = (
                    bin(ctx.get(dut.ups_bits)).count("1"),
                    bin(ctx.get(dut.agree_bits)).count("1"), ctx.get(dut.measuring))
            if 0 <= t - 2 < steps:
                n = t - 2
                g, s = divmod(n, S)
                got = seen.setdefault(n, {})
                got["b"] = (ctx.get(dut.new), ctx.get(dut.par), ctx.get(dut.flip_bits))
                got["where"] = (ctx.get(dut.b_g), ctx.get(dut.b_s), ctx.get(dut.base),
                                ctx.get(dut.store))
                assert got["where"] == (g, s, words[g] & ((1 << p.word_bits) - 1),
                                        int(s == S - 1 and mode != PassMode.MEASURE)), n

    run_pysim(dut, bench)
    for n, (new, par, flips, ups, agree) in enumerate(want):
        assert seen[n]["b"] == (new, par, flips), f"step {n}"
        assert seen[n]["counts"] == (ups, agree, 1), f"step {n}"


def test_metropolis_h0_lanes_realise_every_metropolis_table_of_h0(rng):
    from bitspin.sw.ising.thresholds import threshold_table
    for _ in range(20):
        k = int(rng.integers(8, 33))
        p = IsingParams(8, 4, k=k, algorithms=("metropolis",), lane_rule="metropolis-h0")
        J, beta = int(rng.choice([1, -1])), float(rng.choice([0.0, rng.uniform(0, 3)]))
        table = threshold_table(beta, J, 0.0, "metropolis", k)
        assert lane_rule_table(p, table) == [int(t) for t in table], (J, beta, k)
        # h ≠ 0 or heat-bath: the lanes realise another table (the host refuses those runs).
        other = threshold_table(max(beta, 0.1), J, 0.5, "metropolis", k)
        assert lane_rule_table(p, other) != [int(t) for t in other]
