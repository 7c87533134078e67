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
      scratch memory per image ("a" and "b" at the plan's bases), in distributed RAM (a block
      RAM's width, not its depth, would set its count); the last binary layer writes ("d") one
      half of a double-buffered memory while the last layer reads the other. ``hand_over``
      (the last layer takes a batch over) swaps the halves.

    Every image has its own copy of the read address, the write address and the destination
    (``read_addr[i]``, ``write_addr[i]``, ``write_dest[i]``: copies of one value, registers of
    the caller's), so that no address or enable net reaches the whole batch's memory.
    Reads are registered: the data arrives the clock after the address, as from a block RAM.
    """

    def __init__(self, plan: EnginePlan):
        if not isinstance(plan, EnginePlan):
            raise TypeError("plan must be an EnginePlan")
        self.plan = plan
        p = plan.params
        word, width = p.batch * p.chunk_bits, address_width(plan.activation_depth)
        super().__init__({
            "read_addr": In(width).array(p.batch), "read_source": In(Source),
            "read_data": Out(word),
            "last_read_addr": In(width), "last_read_data": Out(word),
            "write_addr": In(width).array(p.batch), "write_dest": In(Source).array(p.batch),
            "write_enable": In(word // p.lanes), "write_data": In(word),
            "hand_over": In(1),
        })

    def elaborate(self, platform):
        m = Module()
        plan = self.plan
        word, lanes = len(self.write_data), plan.params.lanes
        chunk, batch = plan.params.chunk_bits, plan.params.batch
        half = 1 << len(self.read_addr[0])
        if not plan.overlaps_last:
            m.submodules.memory = memory = Memory(shape=unsigned(word), depth=2 * half, init=[])
            read, write = memory.read_port(transparent_for=()), \
                memory.write_port(granularity=lanes)
            m.d.comb += [read.addr.eq(Cat(self.read_addr[0], self.read_source == Source.B)),
                         self.read_data.eq(read.data), self.last_read_data.eq(read.data),
                         write.addr.eq(Cat(self.write_addr[0], self.write_dest[0] == Source.B)),
                         write.data.eq(self.write_data), write.en.eq(self.write_enable)]
            return m
        parity_binary, parity_last = Signal(), Signal()
        with m.If(self.hand_over):
            m.d.sync += [parity_last.eq(parity_binary), parity_binary.eq(~parity_binary)]
        m.submodules.final = final = Memory(shape=unsigned(word), depth=2 * half, init=[])
        last_read, final_write = final.read_port(transparent_for=()), \
            final.write_port(granularity=lanes)
        m.d.comb += [last_read.addr.eq(Cat(self.last_read_addr, parity_last)),
                     self.last_read_data.eq(last_read.data),
                     final_write.addr.eq(Cat(self.write_addr[0], parity_binary)),
                     final_write.data.eq(self.write_data)]
        slices = chunk // lanes
        for i in range(batch):
            scratch = Memory(shape=unsigned(chunk), depth=max(1, plan.scratch_depth), init=[],
                             attrs={"ram_style": "distributed"})
            m.submodules[f"scratch{i}"] = scratch
            read, write = scratch.read_port(transparent_for=()), \
                scratch.write_port(granularity=lanes)
            enable = self.write_enable[i * slices:(i + 1) * slices]
            to_final = self.write_dest[i] == Source.D
            m.d.comb += [read.addr.eq(self.read_addr[i]),
                         self.read_data.word_select(i, chunk).eq(read.data),
                         write.addr.eq(self.write_addr[i]),
                         write.data.eq(self.write_data.word_select(i, chunk)),
                         write.en.eq(Mux(to_final, 0, enable)),
                         final_write.en[i * slices:(i + 1) * slices].eq(
                             Mux(to_final, enable, 0))]
        return m
