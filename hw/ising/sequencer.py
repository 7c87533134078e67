"""The Ising core's pass control: the registers that schedule passes, and the FSM that runs them.

:class:`PassSequencer` holds the registers the datapath reads (the step's position, the pass's
colour and mode, the window's enables), the read-address register, the prefetch and priming of
each pass, and the FSM of the operations (SEED, INIT_COLD, INIT_HOT, RUN). Its states: IDLE,
SEED, COLD, TABLE (the threshold table into the lanes, then prefetch), PASS (priming, stepping,
a three-clock tail), WAIT_EMIT and REFETCH (a host that has not read the last (M, B) stalls the
core there, and only there) and FINISH (the pipeline drains).
"""

from amaranth import C, Cat, Module, Mux, Signal, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..replica import REPLICA_TAG, group_count, replica_signals
from .params import READ_LATENCY, TABLE_SIZE, IsingOp, IsingParams
from .popcount import delayed
from .timing import WORD_SLICE, reset_hold

__all__ = ["PassSequencer", "PassMode"]


class PassMode:
    """What a pass does: update spins, draw them at random (hot start), or only measure."""
    UPDATE, HOT, MEASURE = 0, 1, 2


class PassSequencer(wiring.Component):
    """The pass control of one :class:`~bitspin.hw.ising.core.IsingCore`: the registers that
    schedule passes, the read address, the prefetch and priming of each pass, and the FSM.

    Inputs: the core's control ports (``op``, ``start``, ``sweeps``, ``thresholds_in``,
    ``lattice_addr``); ``seeder_busy`` and ``rng_busy`` (the seeder, and the lane RNGs still
    seeding themselves after its last output); ``write_en`` (the write port's); ``in_flight``
    (the valid flags of stages A and T and of everything after T); ``emitted`` (the core took
    the pending (M, B) into its output record this clock).

    Outputs: ``seeder_start`` and ``wheel_start`` (the seed start, each through registers of
    its own); ``read_addr`` (a register, for ``LatticeWindow.read_addr``); the threshold
    table's ``table_step``/``table_we`` (``load_cycles`` clocks per RUN or hot start) and
    ``thresholds`` (latched at ``start``); ``idle``, ``cold_write``, ``cold_addr`` (registers
    equal to "in IDLE", "in COLD" and the cold start's address); the step's ``g``, ``s``,
    ``colour``, ``mode`` (a :class:`PassMode`), ``measure``, ``stepping``; ``advancing``
    (stepping in a pass whose RNGs advance); the window's enables (``priming_next``,
    ``shift_copies``); ``pending_emit``, ``clear_acc``; and the cycle counters
    ``update_cycles``, ``run_cycles``, ``stall_cycles``.
    """

    def __init__(self, params: IsingParams, load_cycles: int, in_flight: int):
        self.params, self.load_cycles = params, load_cycles
        p = params
        self.word_slices = group_count(p.memory_word_bits, WORD_SLICE)
        g_shape, s_shape = range(max(2, p.groups)), range(max(2, p.steps_per_group))
        thresholds = data.ArrayLayout(unsigned(p.k + 1), TABLE_SIZE)
        super().__init__({
            "op": In(IsingOp), "start": In(1), "sweeps": In(32), "thresholds_in": In(thresholds),
            "lattice_addr": In(p.lattice_address_bits),
            "seeder_busy": In(1), "rng_busy": In(1), "write_en": In(1),
            "in_flight": In(in_flight), "emitted": In(1),
            "seeder_start": Out(1), "wheel_start": Out(1), "read_addr": Out(g_shape),
            "table_step": Out(range(load_cycles)), "table_we": Out(1),
            "thresholds": Out(thresholds),
            "idle": Out(1, init=1), "cold_write": Out(1), "cold_addr": Out(g_shape),
            "g": Out(g_shape), "s": Out(s_shape), "colour": Out(1), "mode": Out(2),
            "measure": Out(1), "stepping": Out(1), "advancing": Out(1),
            "priming_next": Out(1), "shift_copies": Out(self.word_slices),
            "pending_emit": Out(1), "clear_acc": Out(1),
            "update_cycles": Out(48), "run_cycles": Out(48), "stall_cycles": Out(48),
        })

    def elaborate(self, platform):
        m = Module()
        p = self.params
        G, S = p.groups, p.steps_per_group
        colour, mode, measure = Signal(), Signal(2), Signal()
        # Priming clocks, then (stepping and) the first tail clock, then the other tail clocks.
        cycle = Signal(range(p.pass_overhead_cycles))
        g, s = Signal(range(max(2, G))), Signal(range(max(2, S)))
        # s3: the step within a group three steps ahead of (g, s); g3_ahead: wrap(g + 2) three
        # steps ahead, the group the read port asks for. Kept in registers so that the read
        # address needs no adder chain on g and s (it was the critical path at L=256, P=64).
        s3, g3_ahead = Signal.like(s), Signal.like(g)
        stepping = Signal()
        # ``shift``: the window shifts by a group in this clock (stepping, at a group's last
        # step). One register per WORD_SLICE bits of the window, which it enables (3 words of
        # ``memory_word_bits`` flip-flops): a copy of stepping and one of the last step met in
        # a LUT per slice, behind the priming loads' precedence, was run 33's critical path
        # (three hops, 10.9 ns of routing). Each clock they load the next clock's shift, one
        # LUT of registers kept for it (``next_shift`` below): from the FSM's decode it was
        # run 35's (four LUT levels, then 5.0 ns of routing to a copy). Reset-less (no reset
        # net across the chip to them): a reset clears what they load from.
        shift_copies = replica_signals(Signal(), self.word_slices, "shift", reset_less=True)
        # ``last_step``: s is a group's last step, kept beside s (s itself, one net to every
        # slice, was the critical path at L=256, P=256: 9.3 ns of routing; with S = 1 every step
        # is a group's last); ``penultimate``: s is S − 2 (S > 1); ``final_step``: this clock's
        # step is the pass's last.
        # ``last_step`` is no longer read: Yosys drops it. Leaving it out of the source changed
        # the netlist enough that Yosys 0.70's ABC9 mapping failed its assertion on a tile array
        # again (tests/test_ising_tiles.py), so it stays until that bug is understood.
        last_step, penultimate, final_step = Signal(), Signal(), Signal()
        # A register, high in the clock before a pass's priming clock 0; it starts the chain of
        # registers that enables the window's priming loads (``LatticeWindow``), so no FSM
        # decode drives those enables across the chip.
        priming_next = Signal()
        # ``advancing``: stepping in a pass whose RNGs advance (not a MEASURE pass), a register
        # kept beside ``stepping`` so that the lanes' advance copies load from a flip-flop (a
        # decode of ``mode`` shared with the FSM sat between them and took the FSM across the
        # chip).
        advancing = Signal()
        thresholds = Signal(self.thresholds.shape(), reset_less=True)
        # The cycle counters: reset-less, zeroed by a local copy of the reset (``reset_hold``).
        update_cycles, run_cycles, stall_cycles = (
            Signal(48, name=name, reset_less=True)
            for name in ("update_cycles", "run_cycles", "stall_cycles"))
        sweeps_left, first_sweep = Signal(32), Signal()
        pending_emit, clear_acc = Signal(), Signal()
        # ``idle`` and ``cold_write`` are registers equal to "the FSM is in IDLE" and "... in
        # COLD" (set on the transitions below): the memory's address multiplexers select with
        # them, not with a decode of the FSM state (that decode was on the critical path).
        idle, cold_write, cold_addr = Signal(init=1), Signal(), Signal.like(g)
        table_step, table_we = Signal(range(self.load_cycles)), Signal()
        load_cycles = self.load_cycles
        m.d.comb += [
            self.g.eq(g), self.s.eq(s), self.colour.eq(colour), self.mode.eq(mode),
            self.measure.eq(measure), self.stepping.eq(stepping), self.advancing.eq(advancing),
            self.priming_next.eq(priming_next),
            self.shift_copies.eq(Cat(*shift_copies)),
            self.thresholds.eq(thresholds), self.pending_emit.eq(pending_emit),
            self.clear_acc.eq(clear_acc), self.idle.eq(idle), self.cold_write.eq(cold_write),
            self.cold_addr.eq(cold_addr), self.table_step.eq(table_step),
            self.table_we.eq(table_we), self.update_cycles.eq(update_cycles),
            self.run_cycles.eq(run_cycles), self.stall_cycles.eq(stall_cycles),
        ]

        def set_stepping(value):
            m.d.sync += [stepping.eq(value),
                         advancing.eq((mode != PassMode.MEASURE) if value else 0),
                         final_step.eq(value and G == 1 and S == 1)]

        def set_s(value, last):
            """s ← value, where ``last`` says whether value == S - 1."""
            m.d.sync += [s.eq(value), last_step.eq(last), penultimate.eq(value == S - 2)]

        def wrap(value):
            """``value`` modulo the number of groups G."""
            return value % G if G > 1 else C(0, 1)

        a_valid, t_valid, valid_line = self.in_flight[0], self.in_flight[1], self.in_flight[2:]
        # The core's emission of the pending (M, B) first: the FSM's own updates below win.
        with m.If(self.emitted):
            m.d.sync += pending_emit.eq(0)
        # The read address is registered before the block RAMs (READ_LATENCY: three clocks from
        # ``read_addr`` to ``rd_data``): the FSM's decode in front of the 15 block RAMs' address
        # inputs was the critical path at L=256, P=256 (12.7 ns, 11 of them routing).
        read_addr_q = Signal.like(g, reset_less=True)
        read_addr = Signal.like(g)
        m.d.comb += self.read_addr.eq(read_addr_q)
        m.d.sync += read_addr_q.eq(Mux(idle, self.lattice_addr, read_addr))
        with m.If(stepping & (mode == PassMode.UPDATE)):
            m.d.sync += update_cycles.eq(update_cycles + 1)

        def begin_pass(next_colour, next_mode, next_measure):
            m.d.sync += [colour.eq(next_colour), mode.eq(next_mode), measure.eq(next_measure),
                         cycle.eq(0)]

        prime = p.prime_cycles
        # Overlapped with the previous tail (or the TABLE or REFETCH state), the three clocks
        # before a pass ask for groups 0, 1 and G-1 (``prefetch``); their data lands in the
        # window at priming clocks 0, 1 and 2 (``lattice_window.prime_loads``: READ_LATENCY
        # clocks after each address). G-1's last write lands in the clock its read reaches the
        # block RAM (the port is transparent to the write). The priming clocks then ask for the
        # groups the first three steps' shifts load, as in the stepping rule below. With fewer
        # than three groups the priming asks for groups 0 and 1 itself (they are still being
        # written in the tail).
        first_steps = [(n // S + 2) % G for n in range(READ_LATENCY)]
        prime_addresses = first_steps if prime == 3 else [0, 1 % G] + first_steps
        prefetch_groups = [0, 1 % G, G - 1]
        hot_op = Signal()

        def prefetch(index):
            """Ask for the index-th group (0, 1, G-1) of the pass that follows."""
            m.d.comb += read_addr.eq(prefetch_groups[index])

        def prefetch_until(last_step):
            """In a state that counts ``table_step`` up to ``last_step`` and then starts a pass:
            prefetch in its last READ_LATENCY steps, and raise ``priming_next`` for the last."""
            for index in range(READ_LATENCY):
                with m.If(table_step == last_step - (READ_LATENCY - 1) + index):
                    prefetch(index)
            with m.If(table_step == last_step - 1):
                m.d.sync += priming_next.eq(1)

        # Start strobes and latches that cross the chip from the FSM are registered first: the
        # FSM sits far from the seeder and the table source at L=256, P=256, and start → FSM
        # decode → seeder took two cross-chip hops (14.6 ns).
        seed_start = Signal()
        m.d.sync += [seed_start.eq(0), priming_next.eq(0)]
        # The seeder and the wheels each take the start through a pair of registers of their
        # own, the second placed beside them: one hop from the FSM's register was the critical
        # path of run 23 (8.9 ns of routing), and a pair shared by both of run 24 (6.5 ns).
        # Reset-less: the harness's reset, held until the PLL locks, flushes them.
        for name, start in (("seeder_go", self.seeder_start), ("wheels_go", self.wheel_start)):
            go = delayed(m, seed_start, 2, f"{name}{REPLICA_TAG}", reset_less=True)
            m.d.comb += start.eq(go[-1])
        # The seeder's busy flag comes back registered too (seeder → FSM was the next such
        # path); it rises four clocks after ``seed_start``, so SEED waits those out first
        # (``seed_started``: the FSM's own copy of the start's first three clocks).
        seeder_busy = Signal()
        seed_started = delayed(m, seed_start, 3, "seed_started")
        m.d.sync += seeder_busy.eq(self.seeder_busy | self.rng_busy)
        with m.If(idle):  # the value at the start clock is the last one latched: "at start"
            m.d.sync += thresholds.eq(self.thresholds_in)
        with m.FSM():
            with m.State("IDLE"):
                with m.If(self.start):
                    with m.Switch(self.op):
                        with m.Case(IsingOp.SEED):
                            m.d.sync += [seed_start.eq(1), idle.eq(0)]
                            m.next = "SEED"
                        with m.Case(IsingOp.INIT_COLD):
                            m.d.sync += [cold_addr.eq(0), idle.eq(0), cold_write.eq(1)]
                            m.next = "COLD"
                        with m.Case(IsingOp.INIT_HOT):
                            m.d.sync += [hot_op.eq(1), table_step.eq(0), idle.eq(0)]
                            m.next = "TABLE"
                        with m.Case(IsingOp.RUN):
                            with m.If(self.sweeps != 0):
                                m.d.sync += [sweeps_left.eq(self.sweeps), first_sweep.eq(1),
                                             hot_op.eq(0), table_step.eq(0), idle.eq(0)]
                                m.next = "TABLE"
            with m.State("TABLE"):
                # Copy the latched table into the lanes' own tables, one entry per clock (the
                # same clocks with either lookup, so the timing never depends on the platform);
                # the last three clocks prefetch the first pass's groups 0, 1 and G-1.
                m.d.comb += table_we.eq(1)
                prefetch_until(load_cycles - 1)
                m.d.sync += table_step.eq(table_step + 1)
                with m.If(table_step == load_cycles - 1):
                    with m.If(hot_op):
                        begin_pass(0, PassMode.HOT, 0)
                    with m.Else():
                        begin_pass(0, PassMode.UPDATE, 1)
                    m.next = "PASS"
            with m.State("SEED"):
                with m.If(~seeder_busy & ~seed_start & ~Cat(*seed_started).any()):
                    m.d.sync += idle.eq(1)
                    m.next = "IDLE"
            with m.State("COLD"):
                m.d.sync += cold_addr.eq(cold_addr + 1)
                with m.If(cold_addr == G - 1):
                    m.d.sync += [idle.eq(1), cold_write.eq(0)]
                    m.next = "IDLE"
            with m.State("PASS"):
                with m.If(mode != PassMode.HOT):
                    m.d.sync += run_cycles.eq(run_cycles + 1)
                with m.If(cycle < prime):
                    m.d.sync += cycle.eq(cycle + 1)
                    with m.Switch(cycle):
                        for index in range(prime):
                            with m.Case(index):
                                m.d.comb += read_addr.eq(prime_addresses[index] % G)
                                if index == 0:
                                    m.d.comb += clear_acc.eq(measure)
                                if index == prime - 1:
                                    set_stepping(1)
                                    set_s(0, S == 1)
                                    m.d.sync += [g.eq(0), s3.eq(READ_LATENCY % S),
                                                 g3_ahead.eq((READ_LATENCY // S + 2) % G)]
                with m.Elif(stepping):
                    # Data arrives three clocks after its address: ask now for the group that
                    # the shift three clocks ahead (if any) loads, g(t+3) + 2.
                    m.d.comb += read_addr.eq(g3_ahead)
                    with m.If(s3 == S - 1):
                        m.d.sync += [s3.eq(0), g3_ahead.eq(wrap(g3_ahead + 1))]
                    with m.Else():
                        m.d.sync += s3.eq(s3 + 1)
                    with m.If(s == S - 1):
                        set_s(0, S == 1)
                        m.d.sync += [g.eq(g + 1),  # the window shifts (below)
                                     final_step.eq((S == 1) & (g == G - 2))]
                        with m.If(g == G - 1):
                            set_stepping(0)
                    with m.Else():
                        set_s(s + 1, s == S - 2)
                        m.d.sync += final_step.eq((g == G - 1) & (s == S - 2))
                with m.Elif(cycle == prime):
                    prefetch(0)
                    m.d.sync += cycle.eq(prime + 1)  # first tail clock: stage T of the last step
                with m.Elif(cycle == prime + 1):
                    prefetch(1)
                    m.d.sync += cycle.eq(prime + 2)  # stage B of the last step
                    # Decided a clock ahead (see ``priming_next``): does a pass follow at once?
                    # After a colour-1 pass only if the last (M, B) has been taken.
                    m.d.sync += priming_next.eq(Mux(
                        colour == 0, mode != PassMode.MEASURE,
                        (mode == PassMode.UPDATE) & ~pending_emit))
                with m.Else():
                    # The last tail clock: stage C of the last step. Choose what follows;
                    # stage D's write of group G-1 meets this clock's read of it at the RAM.
                    prefetch(2)
                    with m.If(mode == PassMode.HOT):
                        with m.If(colour == 0):
                            begin_pass(1, PassMode.HOT, 0)
                        with m.Else():
                            m.next = "FINISH"
                    with m.Elif(mode == PassMode.MEASURE):
                        m.d.sync += pending_emit.eq(1)
                        m.next = "FINISH"
                    with m.Elif(colour == 0):
                        m.d.sync += [pending_emit.eq(~first_sweep), first_sweep.eq(0)]
                        begin_pass(1, PassMode.UPDATE, 0)
                    with m.Else():
                        m.d.sync += sweeps_left.eq(sweeps_left - 1)
                        next_mode = Mux(sweeps_left == 1, PassMode.MEASURE, PassMode.UPDATE)
                        begin_pass(0, next_mode, 1)
                        with m.If(~priming_next):
                            m.next = "WAIT_EMIT"
            with m.State("WAIT_EMIT"):
                # The previous sweep's (M, B) is still unread: a slow host (a UART) stalls the
                # core here, and only here, so these clocks are counted apart.
                m.d.sync += stall_cycles.eq(stall_cycles + 1)
                with m.If(~pending_emit):
                    m.d.sync += table_step.eq(0)
                    m.next = "REFETCH"
            with m.State("REFETCH"):
                # The tail's prefetch went stale while waiting: fetch groups 0, 1, G-1 again.
                m.d.sync += [stall_cycles.eq(stall_cycles + 1),
                             table_step.eq(table_step + 1)]
                prefetch_until(READ_LATENCY - 1)
                with m.If(table_step == READ_LATENCY - 1):
                    m.next = "PASS"
            with m.State("FINISH"):
                with m.If(~pending_emit & ~self.write_en &
                          ~Cat(a_valid, t_valid, valid_line).any()):
                    m.d.sync += idle.eq(1)
                    m.next = "IDLE"
        # The next clock's shift. S = 1: every step shifts; stepping starts in the clock after
        # priming clock ``prime`` − 1 (``priming_next`` high ``prime`` clocks before) and ends
        # after the final step. S > 1: a step shifts when the one before was s = S − 2 (a
        # pass's first step, s = 0, does not).
        if S == 1:
            first_step_next = delayed(m, priming_next, prime, "first_step_next")[-1]
            next_shift = first_step_next | (stepping & ~final_step)
        else:
            next_shift = stepping & penultimate
        m.d.sync += [copy.eq(next_shift) for copy in shift_copies]
        # Last, so that the clear wins over the counts above.
        with m.If(reset_hold(m, "cycle_counters_reset")):
            m.d.sync += [update_cycles.eq(0), run_cycles.eq(0), stall_cycles.eq(0)]
        return m
