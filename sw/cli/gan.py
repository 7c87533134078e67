"""``bitspin gan train|generate|evaluate``: the binarized conditional DCGAN."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)
from rich.table import Table

from bitspin.sw.cli.paths import output_file


def add_parser(sub):
    import argparse

    from bitspin.hw.gan.architecture import PRESETS
    from bitspin.sw.gan.backends import BACKENDS
    parser = sub.add_parser("gan", help="binarized conditional DCGAN (MNIST digits)")
    commands = parser.add_subparsers(dest="gan_command", metavar="COMMAND", required=True)

    tr = commands.add_parser("train", help="train a generator on the bundled digits (CPU)")
    tr.add_argument("--config", choices=sorted(PRESETS), default="default")
    tr.add_argument("--float", action="store_true", help="float baseline instead of binarized")
    # Training defaults (None here) come from TrainOptions: the recipe of the committed model.
    tr.add_argument("--epochs", type=int, default=None, help="default 80")
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--label-repeat", type=int, default=None, metavar="R",
                    help="copies of the one-hot label after z (default: the config's, 1)")
    tr.add_argument("--max-steps", type=int, default=None, help=argparse.SUPPRESS)
    tr.add_argument("--aux-weight", type=float, default=None, metavar="W",
                    help="AC-GAN auxiliary classification loss weight (0: off; default 1.0)")
    tr.add_argument("--aux-on-fakes", action=argparse.BooleanOptionalAction, default=None,
                    help="the auxiliary classifier also learns from generated digits (default: no)")
    tr.add_argument("--projection", action=argparse.BooleanOptionalAction, default=None,
                    help="projection-conditioned discriminator (default: yes)")
    tr.add_argument("--lr-decay-start", type=float, default=None, metavar="F",
                    help="fraction of the steps after which both learning rates fall linearly "
                         "to 0 at the last step (1: constant; default 0.5)")
    tr.add_argument("--ema-decay", type=float, default=None, metavar="D",
                    help="the model is an exponential moving average of the generator's "
                         "parameters with this decay per step (0: off, the default)")
    tr.add_argument("--teacher", type=Path, default=None, metavar="FLOAT.npz",
                    help="float checkpoint to distil (its pixels for the same z and label)")
    tr.add_argument("--distill-weight", type=float, default=None, metavar="W",
                    help="weight of the distillation loss (default 0; with --teacher: needed)")
    tr.add_argument("--out", type=output_file, required=True, help="model file (.npz)")
    tr.add_argument("--json", action="store_true", help="print one JSON object")
    tr.set_defaults(run=train)

    gen = commands.add_parser("generate", help="generate digits on a backend")
    gen.add_argument("--backend", choices=BACKENDS, default="golden")
    gen.add_argument("--device", default=None, metavar="URL", help="device backend: sim, socket://HOST:PORT or a serial port")
    gen.add_argument("--model", type=Path, default=None, help="model file (default: committed)")
    gen.add_argument("--count", type=int, required=True)
    gen.add_argument("--seed", type=int, required=True)
    gen.add_argument("--labels", default=None, help="comma-separated; default cycles 0-9")
    gen.add_argument("--out", type=output_file, required=True, help="FILE.npz or FILE.png")
    gen.add_argument("--threads", type=int, default=None,
                     help="cpu backend: numba threads (default: every core)")
    gen.set_defaults(run=generate)

    ev = commands.add_parser("evaluate", help="quality metrics: binarized vs float")
    ev.add_argument("--model", type=Path, default=None, help="binarized model (default: committed)")
    ev.add_argument("--float-model", type=Path, default=None,
                    help="float checkpoint (default with the committed model: the committed "
                         "float baseline)")
    ev.add_argument("--count", type=int, default=1000, help="generated digits (balanced labels)")
    ev.add_argument("--seed", type=int, default=1)
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    ev.set_defaults(run=evaluate)


def model_path(path):
    from bitspin.sw.gan import DEFAULT_MODEL
    return Path(path) if path is not None else DEFAULT_MODEL


#: Seconds between progress lines of ``gan train`` when stderr is not a terminal.
TRAIN_LOG_SECONDS = 10


def train(args) -> int:
    from bitspin.hw.gan.architecture import preset
    from bitspin.sw.gan.export import save_float_checkpoint, save_model
    from bitspin.sw.gan.folding import fold_generator
    from bitspin.sw.gan.train import TrainOptions, train as run_training
    if args.out.suffix != ".npz":
        raise ValueError(f"--out must end in .npz, not {args.out}")
    chosen = {name: getattr(args, name) for name in
              ("epochs", "aux_weight", "aux_on_fakes", "projection", "lr_decay_start", "ema_decay",
               "distill_weight")
              if getattr(args, name) is not None}
    if args.teacher is not None:
        if not args.teacher.is_file():
            raise ValueError(f"--teacher: no such file: {args.teacher}")
        chosen["teacher"] = str(args.teacher)
    config = preset(args.config)
    if args.label_repeat is not None:
        config = dataclasses.replace(config, label_repeat=args.label_repeat)
    options = TrainOptions(config=config, binary=not args.float, seed=args.seed,
                           max_steps=args.max_steps, **chosen)
    err = Console(stderr=True)
    kind = "binarized" if options.binary else "float"
    if err.is_terminal:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), TimeRemainingColumn(), console=err,
                      transient=True) as bar:
            task = bar.add_task(kind, total=None)

            def progress(step, total, losses):
                bar.update(task, completed=step, total=total,
                           description=f"D {losses['d']:.3f} G {losses['g']:.3f}")
            g, info = run_training(options, progress)
    else:
        # A log file or CI: a plain line every TRAIN_LOG_SECONDS and at the end.
        from bitspin.sw.cli.progress import progress_lines
        with progress_lines(f"gan train: {kind} {args.config}, seed {args.seed}") as line:
            last = [time.monotonic()]

            def progress(step, total, losses):
                if step == total or time.monotonic() - last[0] >= TRAIN_LOG_SECONDS:
                    last[0] = time.monotonic()
                    line(f"step {step}/{total}: D {losses['d']:.3f} G {losses['g']:.3f}")
            g, info = run_training(options, progress)
    info["config_name"] = args.config
    if options.binary:
        save_model(fold_generator(g), args.out, training=info)
    else:
        save_float_checkpoint(g, args.out, training=info)
    summary = {"out": str(args.out), "bytes": args.out.stat().st_size, **info}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        err.print(f"wrote {args.out} ({summary['bytes']} bytes) in {info['train_seconds']} s")
    return 0


def generate(args) -> int:

    from bitspin.sw.gan.backends import generate as run_generate
    from bitspin.sw.gan.latent import parse_labels
    check_image_file(args.out)
    labels = parse_labels(args.labels, max(args.count, 0))
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    with Progress(TextColumn(f"{args.backend}"), TextColumn("{task.description}"), BarColumn(),
                  MofNCompleteColumn(), console=Console(stderr=True), transient=True) as bar:
        loading = None

        def load_progress(done, total):
            nonlocal loading
            if loading is None:
                loading = bar.add_task("model words", total=total)
            bar.update(loading, completed=done)

        task = bar.add_task("images", total=max(args.count, 0))
        images = run_generate(args.backend, model_path(args.model), args.count, args.seed,
                              labels, device_url=args.device, threads=args.threads,
                              progress=lambda done: bar.update(task, completed=done),
                              load_progress=load_progress)
    write_images(images, labels, args.out, title=f"{args.backend}, seed {args.seed}")
    return 0


def check_image_file(path) -> None:
    """``--out`` of an image batch: FILE.npz or FILE.png."""
    if path.suffix.lower() not in (".npz", ".png"):
        raise ValueError(f"--out must end in .npz or .png, not {path}")


def write_images(images, labels, path, title: str) -> None:
    """``images`` and ``labels`` as the contract's .npz, or a PNG grid."""
    import numpy as np
    if path.suffix.lower() == ".npz":
        with open(path, "wb") as f:
            np.savez(f, images=images, labels=labels)
    else:
        from bitspin.sw.gan.grid import save_grid
        save_grid(images, labels, path, title=title)
    Console(stderr=True).print(f"wrote {len(images)} images to {path}")


def _evaluate_model(path, count, seed, classifier, real):
    from bitspin.sw.gan.backends import generate as run_generate
    from bitspin.sw.gan.latent import cycle_labels
    from bitspin.sw.gan.quality import evaluate_images
    labels = cycle_labels(count)
    start = time.perf_counter()
    images = run_generate("torch", path, count, seed, labels)
    result = evaluate_images(classifier, images, labels, real)
    result["generate_seconds"] = round(time.perf_counter() - start, 2)
    result["model"] = str(path)
    return result


def evaluate(args) -> int:
    import numpy as np

    from bitspin.sw.gan.data import load_digits
    from bitspin.sw.gan.quality import evaluate_images, load_classifier
    if not 10 <= args.count <= 20000:
        raise ValueError(f"--count must be in 10..20000, not {args.count}")
    classifier, cinfo = load_classifier()
    held = load_digits("held_out")
    train_digits = load_digits("train")
    pick = np.random.default_rng(args.seed).choice(len(train_digits.labels), len(held.labels),
                                                   replace=False)
    report = {
        "metric_notes": {
            "conditional_accuracy": "share classified as the conditioning label",
            "classifier_fid": f"Frechet distance in the {cinfo.get('features', 64)}-d penultimate "
                              "features of the bundled digit classifier (not Inception FID)",
            "one_nn_accuracy": "leave-one-out 1-NN real-vs-generated accuracy, pixel L2; 0.5 ideal",
        },
        "classifier": {k: cinfo[k] for k in ("held_out_accuracy", "epochs", "seed") if k in cinfo},
        "real_reference": evaluate_images(classifier, train_digits.images[pick],
                                          train_digits.labels[pick], held.images),
        "binarized": _evaluate_model(model_path(args.model), args.count, args.seed,
                                     classifier, held.images),
    }
    from bitspin.sw.gan import DEFAULT_FLOAT_MODEL
    # With the committed binarized model, the committed float baseline of the same recipe.
    float_model = args.float_model or (DEFAULT_FLOAT_MODEL if args.model is None else None)
    if float_model is not None:
        report["float"] = _evaluate_model(float_model, args.count, args.seed,
                                          classifier, held.images)
        report["gap_binarized_minus_float"] = {
            key: report["binarized"][key] - report["float"][key]
            for key in ("conditional_accuracy", "classifier_fid", "one_nn_accuracy")}
    else:
        report["float"] = {"available": False,
                           "reason": "no float checkpoint for this --model; give --float-model"}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    table = Table(title="GAN quality (generated vs held-out real digits)")
    table.add_column("model")
    for column in ("cond. accuracy", "classifier-FID", "1-NN accuracy"):
        table.add_column(column, justify="right")
    for name in ("real_reference", "binarized", "float"):
        row = report[name]
        if "conditional_accuracy" in row:
            table.add_row(name, f"{row['conditional_accuracy']:.3f}",
                          f"{row['classifier_fid']:.2f}", f"{row['one_nn_accuracy']:.3f}")
        else:
            table.add_row(name, "n/a", "n/a", "n/a")
    Console().print(table)
    return 0
