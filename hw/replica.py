"""Replicated registers: one flip-flop per group of consumers instead of one net to thousands.

A control signal that every lane of a wide core reads (an enable, a mode bit) is one net with
thousands of sinks; on an ECP5 its routing alone took 12 ns at L=256, P=256. Giving each group of
lanes its own copy of the register splits that net into short local ones, which the placer puts
next to their group.

Yosys's ``opt_merge`` folds registers with identical inputs back into one, so copies are named
with ``REPLICA_TAG`` and the build marks the flip-flops that drive such names ``keep``
(``KEEP_REPLICAS_SCRIPT``, run right after reading the design). Simulation is unaffected: a copy
is an ordinary register.
"""

from amaranth import Signal

__all__ = ["REPLICA_TAG", "KEEP_REPLICAS_SCRIPT", "registered_copies", "registered_tree",
           "replica_signals", "group_count"]

REPLICA_TAG = "_replica"
# Select the cells whose Q output drives a wire named *_replica*, then drop the wires themselves.
KEEP_REPLICAS_SCRIPT = (f"setattr -set keep 1 w:*{REPLICA_TAG}* %ci1:+$dff[Q] "
                        f"w:*{REPLICA_TAG}* %d")


def group_count(consumers: int, per_copy: int) -> int:
    """How many copies serve ``consumers`` with at most ``per_copy`` each."""
    return max(1, -(-consumers // per_copy))


def registered_copies(m, value, count: int, name: str, *, reset_less: bool = False
                      ) -> list[Signal]:
    """``count`` registers that each load ``value`` every clock (one clock of latency)."""
    copies = [Signal.like(value, name=f"{name}{REPLICA_TAG}{i}", reset_less=reset_less)
              for i in range(count)]
    m.d.sync += [copy.eq(value) for copy in copies]
    return copies


def registered_tree(m, value, count: int, name: str, *, fan_out: int = 8,
                    reset_less: bool = False) -> list[Signal]:
    """``count`` registers that load ``value`` two clocks late, through ⌈count / fan_out⌉
    registered hubs: no net drives more than ``fan_out`` copies (or hubs) across the chip."""
    hubs = registered_copies(m, value, group_count(count, fan_out), f"{name}_hub",
                             reset_less=reset_less)
    copies = [Signal.like(value, name=f"{name}{REPLICA_TAG}{i}", reset_less=reset_less)
              for i in range(count)]
    m.d.sync += [copy.eq(hubs[i // fan_out]) for i, copy in enumerate(copies)]
    return copies


def replica_signals(like, count: int, name: str, *, reset_less: bool = False) -> list[Signal]:
    """``count`` registers shaped like ``like``, named as replicas, for the caller to assign
    wherever it assigns ``like`` (exact copies, no latency, except after a reset when
    ``reset_less``)."""
    return [Signal.like(like, name=f"{name}{REPLICA_TAG}{i}", reset_less=reset_less)
            for i in range(count)]
