"""GAN benchmark: the engine's cycles per image and utilization, Verilator's measurement of them,
the projected images/s of a real build, and the CPU / GPU references' images/s.

Nothing here measures energy: the energy fields stay null with ``energy_source = "not
measured"`` until a meter or a stated power is given (see the benchmarks-and-energy issue).
"""

from __future__ import annotations

import time

import numpy as np

__all__ = ["engine_figures", "simulate_engine", "projected", "reference_images_per_s",
           "NOT_MEASURED_IMAGE"]

NOT_MEASURED_IMAGE = {"energy_per_image_uj": None, "energy_source": "not measured"}


def engine_figures(target) -> dict:
    """Cycles per image and utilization of an engine configuration, from its plan (exact: the
    Verilator tests check the gateware's cycle counter against it)."""
    from hw.gan.plan import plan_engine
    return plan_engine(target.architecture(), target.params).summary()


def simulate_engine(target, count: int = 4, seed: int = 0) -> dict:
    """Run ``count`` images through the engine in Verilator; cycles per image from its counter."""
    from hw.gan.engine import GanEngine
    from sim import simulate
    from sw.gan.engine_image import pack_latent
    from sw.gan.latent import latent_from_seed
    image = target.engine_image()
    config = image.plan.config
    z = latent_from_seed(seed, count, config.z_dim, config.z_zero_threshold)
    requests = [[*pack_latent(row), k % config.n_classes] for k, row in enumerate(z)]
    start = time.perf_counter()
    result = simulate(GanEngine(image), test_module="sim.benches.gan_engine",
                      args={"requests": requests, "pixels": image.plan.pixels})
    cycles = result.outputs["image_cycles"]
    return {"images": count, "cycles_per_image": cycles[-1],
            "cycles_match_plan": all(c == image.plan.cycles_per_image for c in cycles),
            "wall_s": time.perf_counter() - start, **NOT_MEASURED_IMAGE}


def projected(cycles_per_image: int, fmax_mhz: float, board: str, source: str) -> dict:
    """images/s = Fmax / cycles per image (the engine never stalls with a reading host)."""
    return {"board": board, "fmax_mhz": fmax_mhz, "cycles_per_image": cycles_per_image,
            "images_per_s": fmax_mhz * 1e6 / cycles_per_image, "fmax_source": source,
            **NOT_MEASURED_IMAGE}


def reference_images_per_s(model_path, backend: str, device: str = "cpu", count: int = 500,
                           repeats: int = 3, meter=None) -> dict:
    """images/s of the golden NumPy model or the PyTorch integer path (median of ``repeats``)."""
    from sw.gan.export import load_model
    from sw.gan.latent import latent_from_seed
    model = load_model(model_path)
    config = model.config
    z = latent_from_seed(0, count, config.z_dim, config.z_zero_threshold)
    y = np.arange(count) % config.n_classes
    if backend == "golden":
        from sw.gan.golden import GoldenGenerator
        golden = GoldenGenerator(model)

        def run():
            golden.generate(z, y)
    else:
        import torch

        from sw.gan.integer_path import integer_generate
        def run():
            integer_generate(model, z, y, device=device)
            if device == "cuda":
                torch.cuda.synchronize()
    run()                                   # warm-up (allocation, kernel selection)
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        rates.append(count / (time.perf_counter() - start))
    rates.sort()
    energy = NOT_MEASURED_IMAGE
    if meter is not None:                   # one more batch, inside the meter's window
        from sw.energy import energy_fields, measure
        _, reading = measure(meter, run)
        energy = energy_fields(reading, count, "image")
    return {"backend": backend, "device": device, "batch": count,
            "images_per_s": rates[len(rates) // 2], "images_per_s_min": rates[0],
            "images_per_s_max": rates[-1], **energy}



def device_images(url: str, engine: str, count: int = 10, seed: int = 0) -> dict:
    """Generate ``count`` images on a device (``sim``: a virtual board): host-observed images/s,
    and the device's own cycles per image (the rate at the design clock)."""
    from sw.device.connect import open_device
    from sw.device.generator import Generator
    from sw.gan.engine_configs import engine_config
    from sw.gan.export import load_model
    from sw.gan.latent import latent_from_seed
    model = load_model(engine_config(engine).model)
    config = model.config
    with open_device(url, gan_engine=engine) as device:
        generator = Generator(device)
        generator.load_model(model)
        z = latent_from_seed(seed, count, config.z_dim, config.z_zero_threshold)
        start = time.perf_counter()
        generator.generate(z, np.arange(count) % config.n_classes)
        wall = time.perf_counter() - start
        cycles = device.read("GAN_IMAGE_CYCLES")
        clock = device.clock_hz
        virtual = device.virtual
    return {"url": url, "engine": engine, "images": count, "virtual_board": virtual,
            "host_images_per_s": count / wall, "device_cycles_per_image": cycles,
            "design_clock_hz": clock, "images_per_s": clock / cycles,
            "images_per_s_source": "device cycle counter at the design clock",
            **NOT_MEASURED_IMAGE}
