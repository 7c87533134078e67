"""Population count and sums as balanced adder trees, optionally split for pipelining."""

from amaranth import Value

__all__ = ["balanced_sum", "popcount", "chunked"]


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
