"""The neighbourhoods stage A reads from the Ising core's three-word window (previous, current,
next group; the window itself is ``lattice_window.LatticeWindow``)."""

from amaranth import Array, Cat

from .params import IsingParams

__all__ = ["neighbourhoods"]


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
