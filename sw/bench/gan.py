"""GAN benchmark: the same workload (N images) on the CPU/GPU references, on a device, and
projected from the engine's cycles × a post-route fmax; cycles per image and utilization from
the plan and from Verilator.

Energy fields are null ("not measured") unless a meter or a stated power is given
(``bitspin.sw.bench.meters``).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .backends import (Progress, announce_build, gpu_missing, machine, projected_fmax,
                       set_threads, strongest, torch_threads)
from .meters import backend_meters, check_meters
from .options import BenchOptions
from .report import Report
from .spread import spread

__all__ = ["run", "engine_figures", "simulate_engine", "projected", "reference_images_per_s",
           "device_images", "NOT_MEASURED_IMAGE"]

NOT_MEASURED_IMAGE = {"energy_per_image_uj": None, "energy_source": "not measured"}


def engine_figures(target) -> dict:
    """Cycles per image and utilization of an engine configuration, from its plan (exact: the
    Verilator tests check the gateware's cycle counter against it)."""
    from bitspin.hw.gan.plan import plan_engine
    return plan_engine(target.architecture(), target.params).summary()


#: Full batches streamed back to back after the images, for the steady-state rate (the first
#: two fill the output buffer's banks).
STREAMED_BATCHES = 4


def simulate_engine(target, count: int = 4, seed: int = 0) -> dict:
    """Run ``count`` images (rounded up to whole batches) through the engine in Verilator;
    then stream full batches: cycles per image from the steady-state interval between two
    batches over the batch (an overlapped engine computes two batches at once)."""
    from bitspin.hw.gan.engine import GanEngine
    from bitspin.sim import simulate
    from bitspin.sw.gan.engine_image import pack_latent
    from bitspin.sw.gan.latent import latent_from_seed
    image = target.engine_image()
    config, batch = image.plan.config, image.plan.params.batch
    count = -(-count // batch) * batch
    z = latent_from_seed(seed, count, config.z_dim, config.z_zero_threshold)
    requests = [[*pack_latent(row), k % config.n_classes] for k, row in enumerate(z)]
    start = time.perf_counter()
    plan = image.plan
    result = simulate(GanEngine(image), test_module="bitspin.sim.benches.gan_engine",
                      args={"requests": requests, "pixels": plan.pixels, "batch": batch,
                            "stream": STREAMED_BATCHES})
    cycles = result.outputs["image_cycles"]
    # Steady state: the interval between the last two streamed batches' first requests.
    interval = int(np.diff(result.outputs["batch_starts"])[-1])
    return {"images": count, "batch": batch, "batch_cycles": cycles[-1],
            "batch_interval": interval,
            "cycles_per_image": interval / batch if batch > 1 else interval,
            "cycles_match_plan": cycles == [plan.batch_cycles()] * len(cycles)
            and interval == plan.batch_interval,
            "wall_s": time.perf_counter() - start, **NOT_MEASURED_IMAGE}


def projected(cycles_per_image: float, fmax_mhz: float, board: str, source: str, count: int,
              meter=None) -> dict:
    """images/s = fmax / cycles per image (the engine never stalls with a reading host)."""
    from .meters import projected_energy
    rate = fmax_mhz * 1e6 / cycles_per_image
    return {"board": board, "fmax_mhz": fmax_mhz, "cycles_per_image": cycles_per_image,
            "images": count, **spread("images_per_s", [rate]), "fmax_source": source,
            "throughput_source": "projected: cycles counted in Verilator × post-route fmax",
            **projected_energy(meter, count / rate, count, "image", board)}


#: How each CPU/GPU reference computes the network.
REFERENCES = {
    "bitpacked": "bit-packed XNOR-popcount generator (numba), bit-exact with the golden model",
    "torch": "PyTorch integer path (float64 matmuls of the folded integers), bit-exact",
    "golden": "golden NumPy model (BLAS), bit-exact",
    "float": "PyTorch float32 forward of the float (not binarized) model of the same "
             "architecture: a user's first instinct, a different network",
}


def reference_images_per_s(model_path, backend: str, device: str = "cpu", count: int = 500,
                           repeats: int = 3, meter=None, threads: int | None = None) -> dict:
    """images/s of one CPU/GPU reference (:data:`REFERENCES`; median of ``repeats``) on the same
    workload: ``count`` images, labels cycling 0-9, z from seed 0. ``threads``: the bitpacked
    generator's numba threads (the others use torch's setting)."""
    from bitspin.sw.gan.backends import load_any, torch_generate
    from bitspin.sw.gan.latent import latent_from_seed
    model = load_any(model_path)
    config = model.config
    z = latent_from_seed(0, count, config.z_dim, config.z_zero_threshold)
    y = np.arange(count) % config.n_classes
    threads_used = None
    if backend == "golden":
        from bitspin.sw.gan.golden import GoldenGenerator
        golden = GoldenGenerator(model)

        def run():
            golden.generate(z, y)
    elif backend == "bitpacked":
        from bitspin.sw.gan.bitpacked import BitPackedGenerator
        from bitspin.sw.numba_support import set_threads as set_numba_threads
        generator = BitPackedGenerator(model)
        threads_used = set_numba_threads(threads)

        def run():
            generator.generate(z, y, threads=threads)
    else:
        import torch
        threads_used = torch.get_num_threads() if device == "cpu" else None

        def run():
            torch_generate(model, z, y, device=device)
            if device == "cuda":
                torch.cuda.synchronize()
    run()                                   # warm-up (compilation, allocation, kernel selection)
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        rates.append(count / (time.perf_counter() - start))
    energy = NOT_MEASURED_IMAGE
    if meter is not None:                   # one more batch, inside the meter's window
        from bitspin.sw.energy import energy_fields, measure
        _, reading = measure(meter, run)
        energy = energy_fields(reading, count, "image")
    return {"backend": backend, "implementation": REFERENCES[backend], "device": device,
            "model_file": Path(model_path).name, "batch": count, "threads": threads_used,
            **spread("images_per_s", rates), **energy}


def device_images(url: str, engine: str, count: int = 10, seed: int = 0, repeats: int = 3,
                  meter=None) -> dict:
    """``repeats`` batches of ``count`` images on a device (``sim``: a virtual board).

    The throughput is the device's: its clock / its own count of clocks per image, so the
    link's speed does not enter; the host-observed rate is reported beside it. ``meter`` (if
    any) spans the batches, not the model load; see :func:`sw.bench.meters.device_energy`.
    """
    from bitspin.sw.device.connect import open_device
    from bitspin.sw.device.generator import Generator
    from bitspin.sw.energy import measure
    from bitspin.sw.gan.engine_configs import engine_config
    from bitspin.sw.gan.export import load_model
    from bitspin.sw.gan.latent import latent_from_seed

    from .meters import device_energy
    model = load_model(engine_config(engine).model)
    config = model.config
    z = latent_from_seed(seed, count, config.z_dim, config.z_zero_threshold)
    labels = np.arange(count) % config.n_classes
    with open_device(url, gan_engine=engine) as device:
        generator = Generator(device)
        generator.load_model(model)

        def run_all():
            batches = []
            for _ in range(repeats):
                start = time.perf_counter()
                generator.generate(z, labels)
                batches.append((time.perf_counter() - start, device.read("GAN_IMAGE_CYCLES")))
            return batches
        batches, reading = measure(meter, run_all)
        clock, virtual = device.clock_hz, device.virtual
    cycles = [c for _, c in batches]
    return {"url": url, "engine": engine, "images": count, "repeats": repeats,
            "virtual_board": virtual, "design_clock_hz": clock,
            "device_cycles_per_image": cycles[-1],
            **spread("images_per_s", (clock / c for c in cycles)),
            "throughput_source": "the device's clocks per image (cycle counter) at its design "
                                 "clock" + (" (a virtual board: a simulated clock)" if virtual
                                            else ""),
            **spread("host_images_per_s", (count / wall for wall, _ in batches)),
            **device_energy(reading, count * sum(cycles) / clock, count * repeats, "image",
                            virtual=virtual)}


def run(options: BenchOptions, progress: Progress = lambda line: None) -> Report:
    """``options.count`` images of the engine configuration ``options.engine`` on each of
    ``options.backends``."""
    from bitspin.sw.gan.engine_configs import engine_config
    target = engine_config(options.engine)
    if options.gan_batch is not None:
        target = target.with_batch(options.gan_batch)
    set_threads(options)
    meters = backend_meters(options.meters, options.backends)
    check_meters(meters)
    announce_build(options, progress)
    figures = engine_figures(target)
    report = Report(workload={"model": "b-dcgan", "images": options.count,
                              "repeats": options.repeats, "engine": options.engine,
                              "model_file": target.model.name, **figures},
                    machine=machine())
    for name in options.backends:
        progress(f"{name}...")
        report.backends[name] = _backend(options, name, target, figures, meters.get(name),
                                         progress, report.machine["cpu"])
    return report


def _gpu_name() -> str:
    import torch
    return torch.cuda.get_device_name()


def strongest_reference(target, device: str, count: int, repeats: int, meter,
                        threads: int | None, progress: Progress) -> dict:
    """Every exact reference of the engine's model on ``device`` (the bit-packed generator on
    the CPU only), the fastest at the top level, each kept under its name; and the float32
    network of the same architecture under ``float``, measured beside them but never the
    baseline (it computes another network)."""
    from bitspin.sw.gan.engine_configs import float_model_for
    float_model = float_model_for(target)

    def measure(backend: str, n: int | None) -> dict:
        path = float_model if backend == "float" else target.model
        if n is None:
            return reference_images_per_s(path, backend, device, count, repeats, meter)
        with torch_threads(n):
            return reference_images_per_s(path, backend, device, count, repeats, meter, n)
    if device == "cpu":
        entry = strongest(measure, ("bitpacked", "torch", "golden"), threads, "images_per_s",
                          progress)
    else:
        progress(f"gpu: {REFERENCES['torch']}")
        entry = {**measure("torch", None), "baseline": "torch"}
    if float_model is None:
        entry["float"] = {"available": False,
                          "reason": "no float model of this architecture is shipped"}
    else:
        progress(f"{device}: {REFERENCES['float']}")
        entry["float"] = measure("float", 1 if device == "cpu" else None)
    return entry


def _backend(options: BenchOptions, name: str, target, figures: dict, meter, progress: Progress,
             host_cpu: str) -> dict:
    count, repeats = options.count, options.repeats
    if name in ("cpu", "gpu"):
        device = "cpu" if name == "cpu" else "cuda"
        if device == "cuda" and (missing := gpu_missing(NOT_MEASURED_IMAGE)):
            return missing
        return {**strongest_reference(target, device, count, repeats, meter, options.threads,
                                      progress),
                "device_name": host_cpu if device == "cpu" else _gpu_name()}
    if name == "sim":
        progress("Verilator: the engine (the first build takes minutes)")
        return simulate_engine(target, count=options.sim_images)
    if name == "device":
        progress(f"device {options.device} (a virtual board builds first)")
        return device_images(options.device, options.engine, count=count, repeats=repeats,
                             meter=meter)
    board = options.board or target.boards[0]
    params = {"engine": options.engine, "gan_lanes": target.params.lanes,
              "chunk_bits": target.params.chunk_bits,
              **({"gan_batch": target.params.batch} if target.params.batch > 1 else {})}
    fmax, source = projected_fmax(options, "gan", params, board, progress)
    return projected(figures["cycles_per_image"], fmax, board, source, count, meter)
