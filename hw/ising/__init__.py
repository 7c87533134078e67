"""The checkerboard Lenz-Ising MCMC core and its building blocks."""

from .params import IsingParams

__all__ = ["IsingParams"]
