"""`bench [reference|grading|gpu]`: the benchmarks, printed (never asserted).

reference: the reference's LSTM and GRU against PyTorch on the CPU;
grading: a lone submission's whole-process time and a batch's throughput;
cluster: a batch through a local Dask cluster vs local grading (docs/cluster.md);
gpu: the reference LSTM on NumPy, CuPy and cuDNN (one line and exit 0 without a GPU).
With no benchmark named, reference, grading and cluster (what `make bench` runs).
"""
from pathlib import Path

from . import arguments

HELP = "print the benchmarks (timings, never asserted)"


def add_arguments(parser):
    from ..paths import REFERENCE_DIR
    which = parser.add_subparsers(dest="which", metavar="BENCHMARK")
    reference = which.add_parser("reference", help="reference vs PyTorch on the CPU")
    reference.add_argument("--repeats", type=arguments.positive_int, default=7,
                           help="timed runs per side and case (default 7)")
    reference.add_argument("--threads", type=arguments.positive_int, default=1,
                           help="BLAS and torch threads, both sides (default 1)")
    reference.add_argument("--reference", type=Path, default=REFERENCE_DIR, metavar="DIR",
                           help="the folder holding the reference's lstm.py and gru.py (default: reference/); "
                                "another copy of it times a change before and after")
    grading = which.add_parser("grading", help="grading throughput")
    grading.add_argument("--runs", type=arguments.positive_int, default=5)
    grading.add_argument("--batch", type=arguments.positive_int, default=50)
    grading.add_argument("--jobs", type=arguments.positive_int, default=2)
    cluster = which.add_parser("cluster", help="a batch on a local Dask cluster vs local grading (--jobs 2)")
    cluster.add_argument("--runs", type=arguments.positive_int, default=3,
                         help="alternating runs per side (default 3)")
    cluster.add_argument("--batch", type=arguments.positive_int, default=50)
    gpu = which.add_parser("gpu", help="the reference LSTM on NumPy, CuPy and cuDNN")
    gpu.add_argument("--repeats", type=arguments.positive_int, default=5, help="timed runs per side (default 5)")
    gpu.add_argument("--size", type=int, nargs=4, metavar=("N", "T", "D", "H"),
                     help="the problem's sizes (default: 256 100 512 512)")
    gpu.add_argument("--dtypes", nargs="+", default=["float32", "float64"], choices=("float32", "float64"))
    gpu.add_argument("--device", choices=("cupy", "standin"), default="cupy")


def run(args):
    from ..benchmarks import gpu_bench, grading, reference_vs_torch
    from .errors import UsageError
    if args.which == "gpu":
        return gpu_bench.main(repeats=args.repeats, size=args.size or gpu_bench.SIZE, dtypes=args.dtypes,
                              device=args.device)
    status = 0
    if args.which in (None, "reference"):
        reference = getattr(args, "reference", None)
        if reference is not None and not ((reference / "lstm.py").is_file() and (reference / "gru.py").is_file()):
            raise UsageError(f"--reference {reference}: no lstm.py and gru.py there")
        status |= reference_vs_torch.main(**({} if args.which is None else
                                              {"repeats": args.repeats, "threads": args.threads,
                                               "reference": reference}))
    if args.which in (None, "grading"):
        status |= grading.main(**({} if args.which is None else
                                  {"runs": args.runs, "batch": args.batch, "jobs": args.jobs}))
    if args.which in (None, "cluster"):
        from ..benchmarks import cluster
        status |= cluster.main(**({} if args.which is None else {"runs": args.runs, "batch": args.batch}))
    return status
