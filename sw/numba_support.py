"""numba for the CPU baselines (``sw.ising.msc_kernels``, ``sw.gan.bitpacked_kernels``): where
compiled kernels are cached, a threading layer that never spin-waits, the thread count, and a
pop-count intrinsic.

Importing this module sets numba's environment before it imports numba, so the kernel modules
import it first: compiled kernels go to the bitspin cache (site-packages may be read-only), and
the thread pool must not spin-wait (an OpenMP pool that spins makes a shared 2-core machine
10-100× slower).
"""

from __future__ import annotations

import os

from bitspin.sim.cache import cache_root

os.environ.setdefault("NUMBA_CACHE_DIR", str(cache_root() / "numba"))
os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")

import numba  # noqa: E402  (after the environment above)
from numba import types  # noqa: E402
from numba.extending import intrinsic  # noqa: E402

__all__ = ["popcount", "set_threads"]


@intrinsic
def popcount(typingctx, x):
    """Ones in a uint64: LLVM's ctpop (one popcnt, or VPOPCNTQ when vectorised), typed int64 so
    that sums stay integers (numba would promote int64 + uint64 to float64)."""
    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])
    return types.int64(x), codegen


def set_threads(threads: int | None) -> int:
    """Use ``threads`` numba threads (None: every core); returns the number in use."""
    if threads is not None:
        if not isinstance(threads, int) or not 1 <= threads <= numba.config.NUMBA_NUM_THREADS:
            raise ValueError(f"threads must be from 1 to {numba.config.NUMBA_NUM_THREADS}, "
                             f"not {threads!r}")
        numba.set_num_threads(threads)
    return numba.get_num_threads()
