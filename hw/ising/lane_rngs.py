"""Every lane's random number, from either generator of ``params.LANE_RNGS``: what the core
and the lanes-only build (``lane_compare``) both instantiate."""

from amaranth import Cat, Const

from .lane_rng import LaneRng
from .timing import LANES_PER_COPY
from .wheel_rng import WheelRngBank
from .wheel_spec import WheelLayout

__all__ = ["lane_rngs", "seed_outputs"]


def seed_outputs(rng: str, lanes: int, k: int) -> int:
    """SplitMix64 outputs that seeding ``lanes`` lanes of generator ``rng`` takes."""
    return WheelLayout(lanes, k).seed_outputs if rng == "wheel" else lanes


def lane_rngs(m, rng: str, lanes: int, k: int, *, advance, load, load_value, seed_start):
    """Add the generators of ``lanes`` lanes to module ``m``; return each lane's k-bit number,
    and a signal that is high while they still seed themselves after the seeder's last output.

    ``advance`` and ``load`` are registered copies, one per ``LANES_PER_COPY`` lanes;
    ``load_value`` is the seeder's output (held between loads) and ``seed_start`` its start.
    """
    if rng == "wheel":
        m.submodules.wheels = bank = WheelRngBank(lanes, k, len(advance))
        m.d.comb += [bank.advance.eq(Cat(*advance)), bank.load.eq(Cat(*load)),
                     bank.load_value.eq(load_value), bank.seed_start.eq(seed_start)]
        return [bank.values[i] for i in range(lanes)], bank.busy
    # xoroshiro64+: the states pass down a shift chain, the seeder's value entering at lane P-1.
    generators = [LaneRng(k) for _ in range(lanes)]
    for i, lane in enumerate(generators):
        m.submodules[f"rng{i}"] = lane
        m.d.comb += [lane.advance.eq(advance[i // LANES_PER_COPY]),
                     lane.load.eq(load[i // LANES_PER_COPY]),
                     lane.load_state.eq(load_value if i == lanes - 1
                                        else generators[i + 1].state)]
    return [lane.value for lane in generators], Const(0, 1)
