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

Randomness. Each site update draws its own uniform 32-bit integer r and flips when
r < T = round(p · 2^32). The high 16 bits of r come from one bulk draw; the low 16 bits matter
only when the high half ties with T's high half (probability 2^−16), so on the CPU they are drawn
for those few sites only, which halves the cost of random numbers, the dominant cost here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from .thresholds import TABLE_SIZE, check_parameters, flip_probabilities

__all__ = ["FastResult", "run_fast", "benchmark_flips_per_ns"]

_ONE = 1 << 32          # realised flip probability is T / 2^32
_HALF = 1 << 16


@dataclass
class FastResult:
    """What :func:`run_fast` returns; M and B are recorded after each sweep past burn-in."""
    magnetization: np.ndarray   # int64 [sweeps - burn_in]: M = Σ s_i after each measured sweep
    bond_sum: np.ndarray        # int64 [sweeps - burn_in]: B = Σ s(x,y)·(s(x+1,y) + s(x,y+1))
    final_lattice: np.ndarray   # uint8 [L, L], 1 = up, row = y, column = x
    flips: int                  # accepted flips over all sweeps (including burn-in)
    updates: int                # spin updates performed = sweeps * L * L
    elapsed_s: float            # wall time of the sweeps only


def _resolve_device(device) -> torch.device:
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
    """Split T = round(p · 2^32) into T_hi < 2^16 and T_lo ≤ 2^16 with T = T_hi · 2^16 + T_lo."""
    t = np.clip(np.rint(p * _ONE), 0, _ONE).astype(np.int64)
    hi = np.minimum(t >> 16, _HALF - 1)     # p = 1 becomes (2^16 − 1, 2^16): still always flips
    return hi, t - hi * _HALF


class _Checkerboard:
    """Both sublattices, the threshold tables and the scratch buffers for one chain."""

    def __init__(self, lattice: torch.Tensor, p: np.ndarray, generator: torch.Generator):
        dev = lattice.device
        L = lattice.shape[0]
        self.L, self.Q, self.n = L, L // 2, L * L // 2
        self.gen = generator
        self.lazy_low_bits = dev.type == "cpu"  # a data-dependent draw would stall a GPU stream
        q, pp = np.meshgrid(np.arange(self.Q), np.arange(L), indexing="ij")
        self.flat_index = [torch.from_numpy(((pp + q + c) % L) * L + (pp - q) % L).to(dev)
                           for c in (0, 1)]
        flat = lattice.reshape(-1)
        self.sub = [flat[i].contiguous() for i in self.flat_index]
        hi, lo = _split_thresholds(p)
        # Raw int16 draws are uniform over [−2^15, 2^15); shifting T_hi by 2^15 keeps r < T exact.
        # The table is broadcast over rows so torch.gather can look up every site in one call.
        self.t_hi = torch.tensor(hi - (1 << 15), dtype=torch.int16, device=dev)
        self.t_hi_rows = self.t_hi.view(1, TABLE_SIZE).expand(self.Q, TABLE_SIZE)
        self.t_lo = torch.tensor(lo, dtype=torch.int32, device=dev)
        self.t_lo_rows = self.t_lo.view(1, TABLE_SIZE).expand(self.Q, TABLE_SIZE)
        self.raw = torch.empty((self.n + 3) // 4, dtype=torch.int64, device=dev)
        self.index = torch.empty((self.Q, L), dtype=torch.int64, device=dev)
        self.threshold = torch.empty((self.Q, L), dtype=torch.int16, device=dev)
        self.flips = torch.zeros((), dtype=torch.int64, device=dev)

    def classes(self, colour: int) -> torch.Tensor:
        """uint8 [Q, L]: table index 5·up + ups of each site of ``colour``."""
        other, half = self.sub[1 - colour], self.L // 2
        box = torch.empty_like(other)
        if colour == 0:     # rows q and q − 1, then columns p and p − 1
            torch.add(other[1:], other[:-1], out=box[1:])
            torch.add(other[0], torch.roll(other[-1], half), out=box[0])
            ups = torch.roll(box, 1, 1)
        else:               # rows q and q + 1, then columns p and p + 1
            torch.add(other[:-1], other[1:], out=box[:-1])
            torch.add(other[-1], torch.roll(other[0], half), out=box[-1])
            ups = torch.roll(box, -1, 1)
        ups += box
        return ups.add_(self.sub[colour], alpha=5)

    def update(self, colour: int, cls: torch.Tensor) -> None:
        """Update every site of ``colour`` given its table indices from :meth:`classes`."""
        spins = self.sub[colour]
        self.index.copy_(cls)
        torch.gather(self.t_hi_rows, 1, self.index, out=self.threshold)
        # The full 64-bit range makes every 16-bit slice of the draw uniform.
        self.raw.random_(-(1 << 63), None, generator=self.gen)
        r_hi = self.raw.view(torch.int16)[:self.n].view(self.Q, self.L)
        flip = r_hi < self.threshold
        tie = r_hi == self.threshold
        if self.lazy_low_bits:
            if tie.any():
                sites = tie.nonzero(as_tuple=True)
                r_lo = torch.randint(0, _HALF, (sites[0].numel(),), generator=self.gen,
                                     dtype=torch.int32, device=spins.device)
                flip[sites] = r_lo < self.t_lo[self.index[sites]]
        else:
            r_lo = torch.randint(0, _HALF, (self.Q, self.L), generator=self.gen,
                                 dtype=torch.int32, device=spins.device)
            flip |= tie & (r_lo < torch.gather(self.t_lo_rows, 1, self.index))
        spins ^= flip.view(torch.uint8)
        self.flips += flip.sum()

    def lattice(self) -> np.ndarray:
        flat = torch.empty(self.L * self.L, dtype=torch.uint8, device=self.sub[0].device)
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
    dev = _resolve_device(device)
    gen = torch.Generator(device=dev)
    gen.manual_seed(int(seed))
    board = _Checkerboard(_initial_lattice(L, init, gen, dev),
                          flip_probabilities(beta, J, h, algorithm), gen)
    # Raw per-sweep sums stay on the device until the end, so CUDA never waits on the host.
    sums = torch.zeros((sweeps - burn_in, 3), dtype=torch.int64, device=dev)
    every = max(1, sweeps // 100)

    def record(row: int, cls: torch.Tensor) -> None:
        # Colour 0 (before its update) and its classes describe every bond: each has one
        # colour-0 end. M and B follow from these three sums at the end.
        sums[row, 0] = board.sub[0].sum()
        sums[row, 1] = cls.sum()
        sums[row, 2] = cls.clamp(min=5).sum()

    _synchronize(dev)
    start = time.perf_counter()
    for sweep in range(sweeps):
        cls = board.classes(0)
        if sweep > burn_in:
            # The colour-0 classes before this sweep describe the lattice after the previous one.
            record(sweep - 1 - burn_in, cls)
        board.update(0, cls)
        board.update(1, board.classes(1))
        if progress is not None and ((sweep + 1) % every == 0 or sweep + 1 == sweeps):
            progress(sweep + 1)
    record(sweeps - 1 - burn_in, board.classes(0))
    _synchronize(dev)
    elapsed = time.perf_counter() - start

    n = board.n
    up0, cls_sum, clamp_sum = sums.cpu().numpy().T
    ups_sum = cls_sum - 5 * up0                 # Σ ups over colour 0 = 4 · (number of up colour-1 sites)
    up_times_ups = clamp_sum - 5 * n            # Σ up·ups over colour 0
    unequal = ups_sum + 4 * up0 - 2 * up_times_ups
    return FastResult(
        magnetization=(2 * (up0 + ups_sum // 4) - L * L).astype(np.int64),
        bond_sum=(2 * L * L - 2 * unequal).astype(np.int64),
        final_lattice=board.lattice(),
        flips=int(board.flips.item()),
        updates=sweeps * L * L,
        elapsed_s=elapsed,
    )


def benchmark_flips_per_ns(L: int, sweeps: int | None = None, device="cpu") -> float:
    """Spin updates per nanosecond of a Metropolis run at the critical temperature.

    A short warm-up run comes first so one-time costs (allocation, CUDA context and kernels)
    are not counted; ``sweeps`` defaults to about 2^25 spin updates.
    """
    if sweeps is None:
        sweeps = max(20, (1 << 25) // (L * L))
    beta_c = 0.5 * np.log1p(np.sqrt(2.0))
    run_fast(L, beta_c, sweeps=min(sweeps, 5), device=device)
    result = run_fast(L, beta_c, sweeps=sweeps, device=device, seed=1)
    return result.updates / result.elapsed_s / 1e9
