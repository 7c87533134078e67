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
