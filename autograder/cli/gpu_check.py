"""`gpu-check [PATH...]`: grade with --gpu on CuPy and print a table of the GPU
tests (benchmarks/gpu_check.py); one line and exit 0 where there is no GPU."""
from . import arguments

HELP = "grade the examples with --gpu on CuPy and print a table of the GPU tests"


def add_arguments(parser):
    parser.add_argument("paths", nargs="*", metavar="PATH", help="submissions (default: examples/submissions/*)")
    parser.add_argument("--device", choices=("cupy", "standin"), default="cupy")
    parser.add_argument("--jobs", type=arguments.positive_int, default=2)


def run(args):
    from ..benchmarks import gpu_check
    return gpu_check.main(paths=args.paths, device=args.device, jobs=args.jobs)
