"""Benchmark of dropout implementations and of one MLP training epoch: ``make bench``.

Used by chapter 5 and `make bench`.

Run as ``python -m companion.experiments.bench [--out FILE] [--repeats N]``. It times, on the same data and in one
process: an array copy (the memory-bound floor), the companion's NumPy dropout (fast and reference
versions), ``torch.nn.functional.dropout``, ``tf.nn.dropout``, the companion's torch and Keras layers,
and one training epoch of the same MLP from scratch in NumPy, in PyTorch and in Keras. It prints the
median of each and its ratio to the copy of the same array, and writes everything as JSON.
Benchmarks only report; no test depends on a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

__all__ = [
    "median_seconds",
    "interleaved_medians",
    "dropout_timings",
    "mlp_epoch_timings",
    "main",
]


def median_seconds(
    fn: Callable[[], object], repeats: int = 7, warmup: int = 1
) -> float:
    """Median wall time of ``fn()`` over ``repeats`` calls, after ``warmup`` untimed calls."""
    return interleaved_medians({"fn": fn}, repeats, warmup)["fn"]


def interleaved_medians(
    fns: dict[str, Callable[[], object]], repeats: int = 7, warmup: int = 1
) -> dict[str, float]:
    """Median wall time of each function, timed in interleaved rounds (each round calls every one once).

    Interleaving exposes every function to the same drift of the machine (other load, the state of
    the memory allocator and of the caches), so that ratios between them are fair.
    """
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) for name, t in times.items()}


def dropout_timings(n: int, repeats: int) -> dict[str, float]:
    """Median seconds of each dropout implementation in training mode on ``n`` float32 values."""
    import keras
    import tensorflow as tf
    import torch

    from ..keras import dropout as keras_dropout
    from ..reference import functional as numpy_dropout
    from ..torch import dropout as torch_dropout

    x = np.random.default_rng(0).standard_normal(n, dtype=np.float32)
    xt, xtf = torch.from_numpy(x.copy()), tf.constant(x)
    rng = np.random.default_rng(1)
    fns = {"copy": x.copy}
    for rate in (0.5, 0.1):
        torch_layer, keras_layer = (
            torch_dropout.Dropout(rate).train(),
            keras_dropout.Dropout(rate, seed=0),
        )
        fns |= {
            f"numpy_dropout(rate={rate})": lambda rate=rate: numpy_dropout.dropout(
                x, rate, rng=rng
            ),
            f"numpy_dropout_reference(rate={rate})": lambda rate=rate: (
                numpy_dropout.dropout_reference(x, rate, rng=rng)
            ),
            f"torch F.dropout(p={rate})": lambda rate=rate: torch.nn.functional.dropout(
                xt, rate
            ),
            f"tf.nn.dropout(rate={rate})": lambda rate=rate: tf.nn.dropout(xtf, rate),
            f"companion torch Dropout(p={rate})": lambda layer=torch_layer: layer(xt),
            f"companion keras Dropout(rate={rate})": lambda layer=keras_layer: (
                keras.ops.convert_to_numpy(layer(xtf, training=True))
            ),
        }
    return interleaved_medians(fns, repeats)


def mlp_epoch_timings(
    repeats: int,
    n: int = 4000,
    sizes: tuple[int, ...] = (784, 256, 256, 10),
    batch_size: int = 128,
) -> dict[str, float]:
    """Median seconds of one training epoch (Adam, dropout 0.2 on inputs and 0.5 on hidden units).

    NumPy and PyTorch are timed before Keras imports TensorFlow, whose thread pools would compete
    with PyTorch's for the cores; call this before anything imports TensorFlow.
    """
    import torch

    from .. import reference as numpy_nn

    rng = np.random.default_rng(0)
    x = rng.random((n, sizes[0]), dtype=np.float32)
    y = rng.integers(0, sizes[-1], n)

    model = numpy_nn.mlp(sizes, input_rate=0.2, hidden_rate=0.5, rng=0)
    opt = numpy_nn.Adam(1e-3)
    # fit evaluates on the whole training set after each epoch; its epoch_seconds time training only
    history = numpy_nn.fit(
        model, x, y, epochs=repeats + 1, batch_size=batch_size, optimizer=opt, rng=rng
    )
    numpy_seconds = float(np.median(history.epoch_seconds[1:]))

    from ..torch.convert import to_torch
    from ..torch.training import train_epoch

    net = to_torch(model)  # the same architecture, dropout included, as nn.Sequential
    torch_opt = torch.optim.Adam(net.parameters(), 1e-3)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    torch_seconds = median_seconds(
        lambda: train_epoch(net, torch_opt, xt, yt, batch_size=batch_size), repeats
    )

    # imports TensorFlow: after the torch timing
    from ..keras.models import build_mlp, one_hot

    kmodel = build_mlp(
        sizes[1:-1], rate=0.5, input_rate=0.2, input_dim=sizes[0], n_classes=sizes[-1]
    )
    y_1h = one_hot(y, sizes[-1])

    def keras_epoch() -> None:
        kmodel.fit(x, y_1h, epochs=1, batch_size=batch_size, verbose=0)

    return {
        "numpy_nn epoch": numpy_seconds,
        "torch epoch": torch_seconds,
        "keras epoch": median_seconds(keras_epoch, repeats),
    }


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark, print a table and write JSON; returns what it wrote."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", default="_build/bench.json", help="where to write the JSON results"
    )
    parser.add_argument(
        "--repeats", type=int, default=7, help="timed calls per measurement"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import torch

    report: dict = {
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
        },
        "dropout": {},
        "mlp_epoch": {},
    }
    # first: before TensorFlow is imported
    epochs = mlp_epoch_timings(max(3, args.repeats // 2))
    for n in (1_000_000, 16_000_000):
        timings = dropout_timings(n, args.repeats)
        copy = timings["copy"]
        report["dropout"][str(n)] = {
            name: {"median_s": t, "ratio_to_copy": t / copy}
            for name, t in timings.items()
        }
        print(
            f"\nDropout, training mode, {n:,} float32 values (median of {args.repeats}):"
        )
        for name, t in timings.items():
            print(f"  {name:40s} {t * 1e3:9.2f} ms   {t / copy:6.1f} x copy")
    report["mlp_epoch"] = epochs
    print("\nOne training epoch, MLP 784-256-256-10, 4,000 examples, batch 128, Adam:")
    for name, t in epochs.items():
        print(
            f"  {name:40s} {t * 1e3:9.1f} ms   {t / epochs['torch epoch']:6.2f} x torch"
        )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    print(f"\nwritten to {args.out}")
    return report


if __name__ == "__main__":
    main()
