"""A fast, statistically correct checkerboard sampler for the 2D Ising model (CPU or CUDA).

This is the software peer of the FPGA sampler: it draws from the same Markov chain family (one
Metropolis or heat-bath update per site per sweep, colour 0 then colour 1) with the flip
probabilities of :func:`sw.ising.thresholds.flip_probabilities`, but makes no attempt to be
bit-exact with the hardware or with any reference sampler.

Layout. The two colours are stored as separate sublattices of L/2 × L sites in diagonal
coordinates: a site (x, y) of colour c = (x + y) mod 2 lives at p = (x + y − c)/2,
q = (y − x − c)/2, so x = p − q and y = p + q + c. In these coordinates the four neighbours of a
colour-0 site (q, p) are the colour-1 sites (q − dq, p − dp) for dq, dp ∈ {0, 1}, and those of a
colour-1 site are the colour-0 sites (q + dq, p + dp). The count of up neighbours is therefore a
2 × 2 box sum, two shifted additions. Periodicity in x and y makes p periodic with period L and
twists the q boundary: (q + L/2, p) is the site (q, p + L/2).

Randomness. Each site update uses its own uniform 32-bit integer r = r_hi · 2^24 + r_lo and
flips when r < T = round(p · 2^32), so p is realised to within 2^−33. The byte r_hi comes from one
bulk draw for all sites; r_lo matters only when r_hi ties with T's high byte (probability 1/256),
so on the CPU it is drawn for those sites only. Random numbers are the largest single cost.

Threads. The sweeps use torch's intra-op threads as the caller set them (torch.get_num_threads()).
With libgomp's default spin-waiting, two threads on two cores that share them with any other busy
process make a large lattice 10-100x slower; use torch.set_num_threads(1) or
OMP_WAIT_POLICY=PASSIVE on a shared machine.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
import torch

from .result import SamplerRun
from .thresholds import TABLE_SIZE, check_parameters, flip_probabilities

__all__ = ["FastResult", "run_fast", "benchmark_flips_per_ns", "resolve_device"]

_ONE = 1 << 32          # realised flip probability is T / 2^32
_LOW = 1 << 24          # r = r_hi · 2^24 + r_lo: 8 bits drawn for every site, 24 only for ties


# The shared result type of every backend; the old name stays for callers of this module.
FastResult = SamplerRun


def resolve_device(device) -> torch.device:
    """``device`` as a torch.device: 'cpu' or an available 'cuda', else a clear ValueError."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        dev = None
    if dev is None or dev.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda', not {device!r}")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' requested but CUDA is not available to torch "
                         f"(torch {torch.__version__}); use device='cpu'")
    return dev


def _initial_lattice(L: int, init, generator: torch.Generator, dev: torch.device) -> torch.Tensor:
    if isinstance(init, str):
        if init == "hot":
            return torch.randint(0, 2, (L, L), generator=generator, device=dev, dtype=torch.uint8)
        if init == "cold":
            return torch.ones((L, L), device=dev, dtype=torch.uint8)
        raise ValueError(f"init must be 'hot', 'cold' or an L×L array of 0/1, not {init!r}")
    arr = np.asarray(init)
    if arr.shape != (L, L):
        raise ValueError(f"init array must have shape ({L}, {L}), not {arr.shape}")
    if not np.isin(arr, (0, 1)).all():
        raise ValueError("init array must hold only 0 (down) and 1 (up)")
    return torch.from_numpy(arr.astype(np.uint8)).to(dev)


def _split_thresholds(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split T = round(p · 2^32) into T_hi ≤ 255 and T_lo ≤ 2^24 with T = T_hi · 2^24 + T_lo."""
    t = np.clip(np.rint(p * _ONE), 0, _ONE).astype(np.int64)
    hi = np.minimum(t // _LOW, 255)     # p = 1 becomes (255, 2^24): still always flips
    return hi, t - hi * _LOW


def _pair_table(table: np.ndarray, dtype) -> np.ndarray:
    """Look-up table for two sites at once: the class bytes a, b of neighbouring sites read as
    one little-endian int16 a + 256·b index the entries table[a], table[b] packed as ``dtype``
    pairs, so the result reads back as one entry per site."""
    last = TABLE_SIZE - 1
    code = np.arange(last * 256 + last + 1)
    a, b = np.minimum(code % 256, last), np.minimum(code // 256, last)  # bytes > last never occur
    return np.stack((table[a], table[b]), axis=1).astype(dtype).reshape(-1)


def _byte_sums(rows: torch.Tensor) -> torch.Tensor:
    """Row sums of a 2-D byte buffer whose rows hold a multiple of 4 bytes, each aligned group
    of 4 summing to < 128.

    Torch sums bytes by widening each to int64 first; multiplying each 4-byte word by 0x01010101
    instead adds its bytes into the top byte (the product wraps), four bytes per operation.
    """
    total = torch.int32 if rows.shape[1] * 32 < 1 << 31 else torch.int64
    return ((rows.view(torch.int32) * 0x01010101) >> 24).sum(dim=1, dtype=total)


class _Checkerboard:
    """Both sublattices, the threshold tables and the scratch buffers for one chain.

    Every per-site byte buffer is the (L/2, L) view of a flat buffer padded with zeros to a
    multiple of 8 bytes, so that it can also be read eight sites at a time as int64 words.
    """

    # Flip counts pile up in the bytes of int64 words; emptying them before a byte can pass 127
    # keeps every word positive, so the additions never overflow.
    FLUSH_EVERY = 127

    def __init__(self, lattice: torch.Tensor, p: np.ndarray, generator: torch.Generator):
        dev = lattice.device
        L = lattice.shape[0]
        self.L, self.Q, self.n = L, L // 2, L * L // 2
        self.padded = -(-self.n // 8) * 8
        self.device, self.gen = dev, generator
        # Locating ties costs about ten small operations, which only pays off on large lattices;
        # elsewhere r_lo is drawn for every site. On a GPU locating ties would make the host wait.
        self.lazy_low_bits = dev.type == "cpu" and self.n > 4096
        q, pp = np.meshgrid(np.arange(self.Q), np.arange(L), indexing="ij")
        self.flat_index = [torch.from_numpy(((pp + q + c) % L) * L + (pp - q) % L).to(dev)
                           for c in (0, 1)]
        # Colour-0 spins, the classes and a scratch row share one buffer: bond_statistics()
        # sums all three with one call.
        self.stats_rows = torch.zeros((3, self.padded), dtype=torch.uint8, device=dev)
        self.cls_flat, self.cls = self._view(self.stats_rows[1])
        self.scratch = self._view(self.stats_rows[2])[1]
        self.sub = (self._view(self.stats_rows[0])[1], self._buffer()[1])
        for c in (0, 1):
            self.sub[c].copy_(lattice.reshape(-1)[self.flat_index[c]])
        self.flip_flat, self.flip = self._buffer(torch.bool)
        self.tie_flat, self.tie = self._buffer(torch.bool)
        self.threshold_flat, self.threshold = self._buffer()
        self.box = torch.empty((self.Q, L), dtype=torch.uint8, device=dev)
        self.pair_index = torch.empty(self.padded // 2, dtype=torch.int64, device=dev)
        self.raw = torch.empty(self.padded // 8, dtype=torch.int64, device=dev)
        hi, lo = _split_thresholds(p)
        self.t_pairs = torch.from_numpy(_pair_table(hi, np.uint8).view(np.int16)).to(dev)
        self.t_lo_pairs = torch.from_numpy(_pair_table(lo, np.uint32).view(np.int64)).to(dev)
        self.t_lo = torch.tensor(lo, dtype=torch.int32, device=dev)
        self.flip_bytes = torch.zeros(self.padded // 8, dtype=torch.int64, device=dev)
        self.pending = 0
        self.flips = torch.zeros((), dtype=torch.int64, device=dev)

    def _view(self, flat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return flat, flat[:self.n].view(self.Q, self.L)

    def _buffer(self, dtype=torch.uint8) -> tuple[torch.Tensor, torch.Tensor]:
        return self._view(torch.zeros(self.padded, dtype=dtype, device=self.device))

    def classes(self, colour: int) -> torch.Tensor:
        """uint8 [Q, L]: table index 5·up + ups of each site of ``colour`` (into ``self.cls``)."""
        other, box, half = self.sub[1 - colour], self.box, self.L // 2
        if colour == 0:     # rows q and q − 1, then columns p and p − 1
            torch.add(other[1:], other[:-1], out=box[1:])
            torch.add(other[0], torch.roll(other[-1], half), out=box[0])
            torch.add(box, torch.roll(box, 1, 1), out=self.cls)
        else:               # rows q and q + 1, then columns p and p + 1
            torch.add(other[:-1], other[1:], out=box[:-1])
            torch.add(other[-1], torch.roll(other[0], half), out=box[-1])
            torch.add(box, torch.roll(box, -1, 1), out=self.cls)
        return self.cls.add_(self.sub[colour], alpha=5)

    def update(self, colour: int) -> None:
        """Update every site of ``colour``, whose table indices :meth:`classes` has just set."""
        # Reading the classes two sites at a time as int16 halves the cost of the look-up.
        self.pair_index.copy_(self.cls_flat.view(torch.int16))
        torch.index_select(self.t_pairs, 0, self.pair_index,
                           out=self.threshold_flat.view(torch.int16))
        # The full 64-bit range makes every byte of the draw uniform.
        self.raw.random_(-(1 << 63), None, generator=self.gen)
        r_hi = self.raw.view(torch.uint8)[:self.n].view(self.Q, self.L)
        torch.lt(r_hi, self.threshold, out=self.flip)
        torch.eq(r_hi, self.threshold, out=self.tie)
        if self.lazy_low_bits:
            self._break_ties_lazily()
        else:
            r_lo = torch.randint(0, _LOW, (self.Q, self.L), generator=self.gen,
                                 dtype=torch.int32, device=self.device)
            t_lo = torch.index_select(self.t_lo_pairs, 0, self.pair_index).view(torch.int32)
            self.flip |= self.tie & (r_lo < t_lo[:self.n].view(self.Q, self.L))
        self.sub[colour].bitwise_xor_(self.flip.view(torch.uint8))
        self.flip_bytes += self.flip_flat.view(torch.int64)
        self.pending += 1
        if self.pending == self.FLUSH_EVERY:
            self.flush_flips()

    def _break_ties_lazily(self) -> None:
        # Ties are rare (1 in 256): find the 8-site words holding one, then the sites in them.
        tie_words = self.tie_flat.view(torch.int64)
        words = tie_words.nonzero().view(-1)
        if words.numel() == 0:
            return
        row, byte = tie_words[words].view(torch.uint8).view(-1, 8).nonzero(as_tuple=True)
        sites = words[row] * 8 + byte
        r_lo = torch.randint(0, _LOW, (sites.numel(),), generator=self.gen, dtype=torch.int32,
                             device=self.device)
        self.flip_flat[sites] = r_lo < self.t_lo[self.cls_flat[sites].long()]

    def flush_flips(self) -> None:
        """Move the flip counts piled up in ``flip_bytes`` into ``flips``."""
        self.flips += self.flip_bytes.view(torch.uint8).sum()
        self.flip_bytes.zero_()
        self.pending = 0

    def bond_statistics(self) -> torch.Tensor:
        """int64 [3]: Σ up, Σ (5·up + ups) and Σ max(5·up + ups, 5) over colour 0.

        Call right after ``classes(0)``. Every bond has exactly one colour-0 end, so these sums
        give M and B (see :func:`run_fast`).
        """
        torch.clamp(self.cls, min=5, out=self.scratch)
        return _byte_sums(self.stats_rows)

    def lattice(self) -> np.ndarray:
        flat = torch.empty(self.L * self.L, dtype=torch.uint8, device=self.device)
        for c in (0, 1):
            flat[self.flat_index[c]] = self.sub[c]
        return flat.view(self.L, self.L).cpu().numpy()


def _check_run(L, sweeps, burn_in, progress) -> None:
    if not isinstance(L, (int, np.integer)) or L < 4 or L % 2:
        raise ValueError(f"L must be an even integer ≥ 4 (checkerboard on a torus), not {L!r}")
    if not isinstance(sweeps, (int, np.integer)) or sweeps < 1:
        raise ValueError(f"sweeps must be an integer ≥ 1, not {sweeps!r}")
    if not isinstance(burn_in, (int, np.integer)) or not 0 <= burn_in < sweeps:
        raise ValueError(f"burn_in must be an integer with 0 ≤ burn_in < sweeps = {sweeps}, "
                         f"not {burn_in!r}")
    if progress is not None and not callable(progress):
        raise ValueError("progress must be a callable taking the number of sweeps done")


def _synchronize(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def run_fast(L: int, beta: float, *, sweeps: int, burn_in: int = 0, J: int = 1, h: float = 0.0,
             algorithm: str = "metropolis", init="hot", seed: int = 0, device="cpu",
             progress: Callable[[int], object] | None = None) -> FastResult:
    """Run ``sweeps`` checkerboard sweeps of the L×L periodic Ising model and measure M and B.

    H = −J Σ⟨ij⟩ s_i s_j − h Σ s_i at inverse temperature ``beta``; ``algorithm`` is
    "metropolis" or "heatbath". ``init`` is "hot" (random spins from ``seed``), "cold" (all up)
    or an L×L array of 0/1 (1 = up, row = y). Magnetization and bond sum are recorded after each
    sweep past the first ``burn_in``. ``progress(n)``, if given, is called with the number of
    sweeps done about a hundred times per run. Results are deterministic for a given seed on a
    given device; ``device="cuda"`` runs on the GPU.
    """
    check_parameters(beta, J, h, algorithm)
    _check_run(L, sweeps, burn_in, progress)
    L, sweeps, burn_in = int(L), int(sweeps), int(burn_in)
    dev = resolve_device(device)
    gen = torch.Generator(device=dev)
    gen.manual_seed(int(seed))
    board = _Checkerboard(_initial_lattice(L, init, gen, dev),
                          flip_probabilities(beta, J, h, algorithm), gen)
    # Raw per-sweep sums stay on the device until the end, so CUDA never waits on the host.
    sums = torch.zeros((sweeps - burn_in, 3), dtype=torch.int64, device=dev)
    every = max(1, sweeps // 100)

    _synchronize(dev)
    start = time.perf_counter()
    for sweep in range(sweeps):
        board.classes(0)
        if sweep > burn_in:
            # Colour 0 before this sweep's update still shows the lattice after the previous one.
            sums[sweep - 1 - burn_in] = board.bond_statistics()
        board.update(0)
        board.classes(1)
        board.update(1)
        if progress is not None and ((sweep + 1) % every == 0 or sweep + 1 == sweeps):
            progress(sweep + 1)
    board.classes(0)
    sums[sweeps - 1 - burn_in] = board.bond_statistics()
    board.flush_flips()
    _synchronize(dev)
    elapsed = time.perf_counter() - start

    # Over colour 0: up0 = Σ up, Σ ups = 4 · (up colour-1 sites) since each has 4 colour-0
    # neighbours, and a site has `ups` unequal bonds when down and 4 − ups when up.
    up0, cls_sum, clamp_sum = sums.cpu().numpy().T
    ups_sum = cls_sum - 5 * up0
    up_times_ups = clamp_sum - 5 * board.n
    unequal = ups_sum + 4 * up0 - 2 * up_times_ups
    return FastResult(
        magnetization=(2 * (up0 + ups_sum // 4) - L * L).astype(np.int64),
        bond_sum=(2 * L * L - 2 * unequal).astype(np.int64),
        final_lattice=board.lattice(),
        flips=int(board.flips.item()),
        updates=sweeps * L * L,
        elapsed_s=elapsed,
    )


def benchmark_run(L: int, sweeps: int | None = None, device="cpu"):
    """The benchmark workload, warmed up: a function that runs it and returns its SamplerRun.

    A Metropolis run at the critical temperature; a short warm-up run happens here, so
    one-time costs (allocation, CUDA context and kernels) stay out of whatever times or meters
    the returned function. ``sweeps`` defaults to about 2^25 spin updates.
    """
    if sweeps is None:
        sweeps = max(20, (1 << 25) // (L * L))
    beta_c = 0.5 * np.log1p(np.sqrt(2.0))
    run_fast(L, beta_c, sweeps=min(sweeps, 5), device=device)
    return lambda: run_fast(L, beta_c, sweeps=sweeps, device=device, seed=1)


def benchmark_flips_per_ns(L: int, sweeps: int | None = None, device="cpu") -> float:
    """Spin updates per nanosecond of :func:`benchmark_run`'s workload."""
    result = benchmark_run(L, sweeps, device)()
    return result.updates / result.elapsed_s / 1e9
