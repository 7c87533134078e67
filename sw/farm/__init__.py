"""A farm of boards: Ising sweeps and GAN batches spread over many devices with Dask.

One Dask worker owns one device (:mod:`.workers`); :class:`.cluster.Farm` starts or joins the
cluster and finds the boards; :mod:`.dispatch` submits the tasks, retries a failed one on another
device and takes a device that keeps failing out of the pool; :mod:`.ising` and :mod:`.gan`
cut a sweep or a batch into tasks whose results do not depend on which device ran them.
"""

from .cluster import Farm, FarmError
from .gan import farm_gan
from .ising import farm_ising

__all__ = ["Farm", "FarmError", "farm_ising", "farm_gan"]
