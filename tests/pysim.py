"""Running a component under Amaranth's own simulator from a test: one clock, one driving
testbench, and any number of background monitors."""

from amaranth.sim import Simulator


def run_pysim(dut, testbench, *monitors) -> None:
    """Simulate ``dut`` on a 1 MHz ``sync`` clock until ``testbench`` returns; ``monitors``
    run beside it as background testbenches."""
    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    for monitor in monitors:
        sim.add_testbench(monitor, background=True)
    sim.run()


def comb_outputs(dut, ports, cases, output) -> list[int]:
    """Drive a combinational ``dut``'s ``ports`` with each case (a tuple of their values) in
    turn; return ``output``'s value for each."""
    seen = []

    async def bench(ctx):
        for case in cases:
            for port, value in zip(ports, case):
                ctx.set(port, value)
            seen.append(ctx.get(output))

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    return seen


def random_bits(rng, n: int) -> int:
    """A uniformly random ``n``-bit integer from the NumPy generator ``rng`` (any width)."""
    return int.from_bytes(rng.bytes((n + 7) // 8), "little") % (1 << n)
