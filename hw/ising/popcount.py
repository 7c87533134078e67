"""Population count and sums as balanced adder trees, optionally split for pipelining."""

from amaranth import Signal, Value

__all__ = ["balanced_sum", "popcount", "chunked", "pipelined_sum", "delayed"]


def balanced_sum(terms) -> Value:
    """The sum of ``terms``, added pairwise so the depth is log2(len(terms)) adders."""
    terms = list(terms)
    if not terms:
        return Value.cast(0)
    while len(terms) > 1:
        terms = [terms[i] + terms[i + 1] if i + 1 < len(terms) else terms[i]
                 for i in range(0, len(terms), 2)]
    return terms[0]


def popcount(bits: Value) -> Value:
    """The number of ones in ``bits``."""
    return balanced_sum(bits[i] for i in range(len(bits)))


def chunked(bits: Value, width: int) -> list[Value]:
    """``bits`` cut into slices of at most ``width`` bits (to pop-count in a pipeline stage)."""
    return [bits[i:i + width] for i in range(0, len(bits), width)]


def pipelined_sum(m, terms, fan_in: int, name: str) -> tuple[Value, int]:
    """The sum of ``terms`` through a tree of registers, each adding at most ``fan_in`` values of
    the level before (so no stage holds more than one small adder tree). Returns the total and
    the clocks it trails ``terms`` by (0 for a single term, which is returned as it is). The
    registers are reset-less: a reset does not clear the values in flight."""
    terms = list(terms)
    stages = 0
    while len(terms) > 1:
        sums = []
        for j in range(0, len(terms), fan_in):
            total = balanced_sum(terms[j:j + fan_in])
            register = Signal(total.shape(), name=f"{name}{stages}_{j // fan_in}",
                              reset_less=True)
            m.d.sync += register.eq(total)
            sums.append(register)
        terms = sums
        stages += 1
    return terms[0], stages


def delayed(m, value: Value, clocks: int, name: str, *, reset_less: bool = False
            ) -> list[Signal]:
    """``clocks`` registers in a chain after ``value``: element i is ``value`` i + 1 clocks ago."""
    line = []
    for i in range(clocks):
        register = Signal.like(value, name=f"{name}{i + 1}", reset_less=reset_less)
        m.d.sync += register.eq(line[-1] if line else value)
        line.append(register)
    return line
