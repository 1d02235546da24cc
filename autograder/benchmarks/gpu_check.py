"""`make gpu-check`: grade the bundled examples with --gpu on CuPy and print a table.

    python -m autograder gpu-check [--device cupy|standin] [--jobs N] [PATH ...]

Grades the reference solution and every example submission (or the PATHs
given) with `python -m autograder grade --gpu`, then prints one row per
submission: its score without the GPU part, the GPU tests passed, the GPU
points, and the first GPU failure. Exit status 1 when the reference solution
fails a GPU test (the parity checks or the device path are broken), else 0.

Without CuPy or a CUDA device it says so in one line and exits 0. With
`--device standin` it runs the same on the stand-in device (no GPU needed):
a check of the script itself.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "submissions"
REFERENCE = "reference_solution"


def main(*, paths=(), device="cupy", jobs=2):
    """Grade with --gpu and print the table (`python -m autograder gpu-check`)."""
    from autograder.sandbox.outside import devices
    os.environ[devices.DEVICE_ENV] = device
    devices.select.cache_clear()
    device = devices.select()
    if isinstance(device, devices.Unavailable):
        print(f"gpu-check: no GPU to check on ({device.reason}); nothing done")
        return 0
    paths = [Path(p) for p in paths] or sorted(EXAMPLES.iterdir())
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as out:
        start = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "autograder", "grade", *map(str, paths), "--out", out,
                               "--gpu", "--jobs", str(jobs)], cwd=ROOT, capture_output=True, text=True)
        seconds = time.monotonic() - start
        reports = {p.stem: json.loads(p.read_text()) for p in Path(out).glob("*.json") if p.name != "summary.json"}
    print(f"gpu-check: {device.description}; {len(paths)} submissions graded with --gpu in {seconds:.1f} s "
          f"(exit status {done.returncode})")
    if done.returncode not in (0, 1) or not reports:
        print(done.stderr[-3000:])
        return 1
    print_table(reports)
    reference = reports.get(REFERENCE)
    if reference is not None and any(t["status"] == "failed" for t in gpu_tests(reference)):
        print(f"gpu-check: FAILED: {REFERENCE} fails GPU tests")
        return 1
    return 0


def gpu_tests(report):
    return [t for t in report["tests"] if "gpu" in t["tags"]]


def print_table(reports):
    rows = [("submission", "score w/o GPU", "GPU tests passed", "GPU points", "first GPU failure")]
    for name in sorted(reports, key=lambda n: (n != REFERENCE, n)):
        report = reports[name]
        tests = gpu_tests(report)
        if "error" in report:  # unreadable submission: no tests ran
            rows.append((name, "0", "-", "-", report["error"][:70]))
            continue
        gpu_score = sum(t["score"] for t in tests)
        gpu_max = sum(t["max_score"] for t in tests)
        passed = sum(t["status"] == "passed" and t["outcome"] == "passed" for t in tests)
        failed = [t for t in tests if t["status"] == "failed"]
        first = f"{failed[0]['tags'][0]}: {failed[0]['output'].splitlines()[0]}" if failed else ""
        rows.append((name, f"{report['score'] - gpu_score:g} / {report['max_score'] - gpu_max:g}",
                     f"{passed} / {len(tests)}", f"{gpu_score:g} / {gpu_max:g}", first[:90]))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[4])

