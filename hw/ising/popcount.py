"""Population count as a balanced adder tree."""

from amaranth import Value

__all__ = ["popcount"]


def popcount(bits: Value) -> Value:
    """The number of ones in ``bits``, summed pairwise so the depth is log2(width) adders."""
    terms = [bits[i] for i in range(len(bits))]
    if not terms:
        return Value.cast(0)
    while len(terms) > 1:
        terms = [terms[i] + terms[i + 1] if i + 1 < len(terms) else terms[i]
                 for i in range(0, len(terms), 2)]
    return terms[0]
