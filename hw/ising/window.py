"""The Ising core's three-word window over the lattice memory (previous, current, next group):
the neighbourhoods stage A reads from it, and its loads (priming, then one shift per group)."""

from amaranth import Array, Cat, Signal

from ..replica import registered_copies
from .params import IsingParams
from .timing import WORD_SLICE

__all__ = ["neighbourhoods", "window_loads"]


def neighbourhoods(p: IsingParams, prev, cur, nxt, s):
    """The rows stage A reads in step ``s``: per chunk row, the centre row extended by one site
    each side (``ext``), and the rows above and below, each ``chunk_width`` sites.

    Returns ``(ext, above, below, chunk_width)``.
    """
    L, R, S = p.size, p.rows_per_group, p.steps_per_group
    chunk_rows = R if S == 1 else 1
    chunk_width = 2 * p.lanes // chunk_rows  # columns of each chunk row handled in one step

    def row(word, r):
        return word[r * L:(r + 1) * L]

    above_rows = [row(prev, R - 1) if r == 0 else row(cur, r - 1) for r in range(R)]
    below_rows = [row(nxt, 0) if r == R - 1 else row(cur, r + 1) for r in range(R)]
    ext, above, below = [], [], []
    for r in range(chunk_rows):
        centre_row = row(cur, r)
        if S == 1:
            ext.append(Cat(centre_row[L - 1], centre_row, centre_row[0]))
            above.append(above_rows[r])
            below.append(below_rows[r])
        else:
            ext.append(Array([Cat(centre_row[(c * chunk_width - 1) % L],
                                  centre_row[c * chunk_width:(c + 1) * chunk_width],
                                  centre_row[((c + 1) * chunk_width) % L])
                              for c in range(S)])[s])
            above.append(Array([above_rows[r][c * chunk_width:(c + 1) * chunk_width]
                                for c in range(S)])[s])
            below.append(Array([below_rows[r][c * chunk_width:(c + 1) * chunk_width]
                                for c in range(S)])[s])
    return ext, above, below, chunk_width


def window_loads(m, p: IsingParams, window, rd_data, control, prime: int, prime_loads: dict):
    """The window's loads, per WORD_SLICE bits.

    Priming clock k's load enable is registered (copies per slice) from the chain
    priming_next → priming clock 0 → 1 …, so it is high in priming clock k; stepping shifts the
    window at the end of each group (the two never coincide, except after a reset: see
    ``PassControl.stepping_copies``).
    """
    prev, cur, nxt = window
    S, W = p.steps_per_group, p.memory_word_bits
    word_slices = control.word_slices
    stepping_copies, last_step_copies = control.stepping_copies, control.last_step_copies
    prime_chain = ([control.priming_next] +
                   [Signal(name=f"priming_clock{i}") for i in range(prime - 1)])
    m.d.sync += [later.eq(earlier) for earlier, later in zip(prime_chain, prime_chain[1:])]
    load_at = {index: registered_copies(m, prime_chain[index], word_slices,
                                        f"prime_load{index}", reset_less=True)
               for index in prime_loads}
    for j in range(word_slices):
        bits = slice(j * WORD_SLICE, min(W, (j + 1) * WORD_SLICE))
        with m.If(Cat(load_at[index][j] for index in prime_loads).any()):
            for index, register in prime_loads.items():
                with m.If(load_at[index][j]):
                    m.d.sync += register[bits].eq(rd_data[bits])
        with m.Elif(stepping_copies[j] & (last_step_copies[j] if S > 1 else 1)):
            m.d.sync += [prev[bits].eq(cur[bits]), cur[bits].eq(nxt[bits]),
                         nxt[bits].eq(rd_data[bits])]
