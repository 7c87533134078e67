"""The GAN engine's activation memories: where each binary layer's output waits for the next layer."""

from __future__ import annotations

from amaranth import Cat, Module, Mux, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from bitspin.hw.gan.plan import EnginePlan
from bitspin.hw.gan.sequencer import Source, address_width

__all__ = ["ActivationMemories"]


class ActivationMemories(wiring.Component):
    """A word holds ``chunk_bits`` activations of every image of the batch; it is written
    ``lanes`` bits (one group's outputs) of every image at a time.

    - A single-image engine: one memory whose halves are the ping-pong buffers "a" and "b". A
      layer reads one half and writes the other, so one read and one write port serve both, and
      the last layer reads through the binary layers' port (``last_read_data`` is
      ``read_data``).
    - An overlapped engine (``plan.overlaps_last``): the binary layers ping-pong in a small
      scratch memory ("a" and "b" at the plan's bases), in distributed RAM (a block RAM's
      width, not its depth, would set its count); the last binary layer writes ("d") one half of
      a double-buffered memory while the last layer reads the other. ``hand_over`` (the last
      layer takes a batch over) swaps the halves.

    Reads are registered: the data arrives the clock after the address, as from a block RAM.
    """

    def __init__(self, plan: EnginePlan):
        if not isinstance(plan, EnginePlan):
            raise TypeError("plan must be an EnginePlan")
        self.plan = plan
        p = plan.params
        word, width = p.batch * p.chunk_bits, address_width(plan.activation_depth)
        super().__init__({
            "read_addr": In(width), "read_source": In(Source), "read_data": Out(word),
            "last_read_addr": In(width), "last_read_data": Out(word),
            "write_addr": In(width), "write_dest": In(Source),
            "write_enable": In(word // p.lanes), "write_data": In(word),
            "hand_over": In(1),
        })

    def elaborate(self, platform):
        m = Module()
        plan = self.plan
        word, lanes = len(self.write_data), plan.params.lanes
        half = 1 << len(self.read_addr)
        if not plan.overlaps_last:
            m.submodules.memory = memory = Memory(shape=unsigned(word), depth=2 * half, init=[])
            read, write = memory.read_port(transparent_for=()), \
                memory.write_port(granularity=lanes)
            m.d.comb += [read.addr.eq(Cat(self.read_addr, self.read_source == Source.B)),
                         self.read_data.eq(read.data), self.last_read_data.eq(read.data),
                         write.addr.eq(Cat(self.write_addr, self.write_dest == Source.B)),
                         write.data.eq(self.write_data), write.en.eq(self.write_enable)]
            return m
        parity_binary, parity_last = Signal(), Signal()
        with m.If(self.hand_over):
            m.d.sync += [parity_last.eq(parity_binary), parity_binary.eq(~parity_binary)]
        m.submodules.scratch = scratch = Memory(
            shape=unsigned(word), depth=max(1, plan.scratch_depth), init=[],
            attrs={"ram_style": "distributed"})
        m.submodules.final = final = Memory(shape=unsigned(word), depth=2 * half, init=[])
        read, write = scratch.read_port(transparent_for=()), scratch.write_port(granularity=lanes)
        last_read, final_write = final.read_port(transparent_for=()), \
            final.write_port(granularity=lanes)
        to_final = self.write_dest == Source.D
        m.d.comb += [read.addr.eq(self.read_addr), self.read_data.eq(read.data),
                     last_read.addr.eq(Cat(self.last_read_addr, parity_last)),
                     self.last_read_data.eq(last_read.data),
                     write.addr.eq(self.write_addr), write.data.eq(self.write_data),
                     write.en.eq(Mux(to_final, 0, self.write_enable)),
                     final_write.addr.eq(Cat(self.write_addr, parity_binary)),
                     final_write.data.eq(self.write_data),
                     final_write.en.eq(Mux(to_final, self.write_enable, 0))]
        return m
