"""Command line: `python -m autograder grade PATH... --out DIR [--jobs N] [--gpu]`.

Exit status (the contract's): 0 when every submission was graded, whatever
the scores; 2 for a usage error; 1 when the grader itself failed, or, with
`--fail-under SCORE`, when a submission scored below SCORE.
`check [PATH]` runs the public tests: 0 when they all pass, 1 otherwise.
"""
import argparse
import json
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_GRADER_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad input on the command line: one clear line, exit status 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message):
        command = self.prog.split()[1:]  # "autograder grade" -> ["grade"]; the top level has none
        raise UsageError(f"{message} (see `python -m {' '.join(['autograder', *command])} --help`)")


def build_parser():
    parser = Parser(prog="autograder", description="Grade Module 6 (RNN) submissions against the hidden reference.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    grade = commands.add_parser("grade", help="grade submissions and write JSON reports")
    grade.add_argument("paths", nargs="+", metavar="PATH", help="a submission: folder, .ipynb or .zip")
    grade.add_argument("--out", required=True, metavar="DIR", help="folder for the reports")
    grade.add_argument("--jobs", type=positive_int, default=os.cpu_count() or 1, metavar="N",
                       help="submissions graded in parallel (default: the number of cores)")
    grade.add_argument("--gpu", action="store_true", help="also run the CuPy GPU parity checks")
    grade.add_argument("--rubric", metavar="FILE", help="rubric file (default: the bundled rubric.toml)")
    grade.add_argument("--sandbox", choices=("namespaces", "bwrap", "limits"),
                       help="force an isolation tier (default: the strongest that works)")
    grade.add_argument("--fail-under", type=score_value, metavar="SCORE",
                       help="exit 1 when a submission scores below SCORE points (for CI)")
    grade.add_argument("--format", choices=("json", "junit"), default="json",
                       help="junit: also write DIR/junit.xml for CI test tabs (the JSON reports are always written)")

    table = commands.add_parser("table", help="print the score table of a reports folder")
    table.add_argument("out", metavar="DIR")

    release = commands.add_parser("release", help="regenerate assignments/ and the examples from reference/")
    release.add_argument("--check", action="store_true", help="only report files that are out of date")

    bench = commands.add_parser("bench", help="print the benchmarks (timings, never asserted)")
    bench.add_argument("which", nargs="?", choices=("all", "reference", "grading"), default="all",
                       help="reference: reference vs PyTorch; grading: grading throughput")

    check = commands.add_parser("check", help="run the public tests on your work, quickly (for students)")
    check.add_argument("path", nargs="?", default=".", metavar="PATH",
                       help="your folder, notebook or zip (default: the current folder)")
    check.add_argument("--out", metavar="DIR", help="also write the JSON report there")
    check.add_argument("--sandbox", choices=("namespaces", "bwrap", "limits"),
                       help="force an isolation tier (default: the strongest that works)")
    return parser


def score_value(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a score, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a score of at least 0, got {text!r}")
    return value


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def main(argv=None):
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            raise UsageError("no command given; try `python -m autograder grade --help`")
        return COMMANDS[args.command](args)
    except UsageError as error:
        print(f"autograder: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("autograder: interrupted", file=sys.stderr)
        return 130


def run():
    """The console script and `python -m autograder`: main(), then exit at once.

    By then the grader has written and closed all it writes; the
    interpreter's own teardown (about 0.2 s with pytest, hypothesis and
    NumPy loaded) would only delay the exit.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else 0)


def grade_command(args):
    from . import batch, report, rubric as rubric_module, sandbox

    out_dir = check_out_dir(args.out)
    check_paths(args.paths)
    rubric = load_rubric(args.rubric)
    tier = probe_while_loading(args.sandbox)
    print(f"autograder: sandbox: {tier} ({sandbox.TIER_DESCRIPTIONS[tier]})", file=sys.stderr)
    warn_if_exposed(tier)
    gpu = gpu_device() if args.gpu else False
    progress = Progress(len(args.paths))
    outcomes = batch.grade_batch(args.paths, out_dir, rubric=rubric, tier=tier, jobs=args.jobs,
                                 gpu=gpu, progress=progress.update)
    progress.close()
    reports = [o.report for o in outcomes if o.report is not None]
    report.write_json(out_dir / "summary.json", report.summary(reports))
    report.write_atomic(out_dir / "summary.csv", report.summary_csv(reports))
    failures = [o.failure for o in outcomes if o.failure]
    failures += [f"{r['submission']}: {r['grader_errors']} test(s) hit a grader error"
                 for r in reports if r.get("grader_errors")]
    for failure in failures:
        print(f"autograder: error: {failure}", file=sys.stderr)
    if args.format == "junit":
        from .integrations.junit import junit_xml
        report.write_atomic(out_dir / "junit.xml", junit_xml(reports))
    below = [r for r in reports if args.fail_under is not None and r["score"] < args.fail_under]
    for r in below:
        print(f"autograder: {r['submission']} scored {r['score']:g}, under --fail-under {args.fail_under:g}",
              file=sys.stderr)
    return EXIT_GRADER_FAILED if failures or below else EXIT_OK


def probe_while_loading(forced):
    """The sandbox tier; its probe (a sandboxed Python start) and, at the
    limits tier, the start of the worker zygote run while the grader imports
    pytest, hypothesis and the suite, which it needs anyway."""
    import threading
    from . import runner, sandbox

    outcome = {}

    def probe():
        try:
            outcome["tier"] = sandbox.probe(forced)
        except (RuntimeError, ValueError) as error:
            outcome["error"] = str(error)
            return
        sandbox.start_zygote(outcome["tier"])  # it imports NumPy meanwhile too (see batch.py)

    thread = threading.Thread(target=probe)
    thread.start()
    runner.preload()
    thread.join()  # no thread may outlive this: batch.py forks next
    if "error" in outcome:
        raise UsageError(outcome["error"])
    return outcome["tier"]


def gpu_device():
    """The device of --gpu (see devices/), announced in one line; Unavailable skips the GPU tests."""
    from . import devices
    device = devices.select()
    if isinstance(device, devices.Unavailable):
        print(f"autograder: --gpu: {device.reason}; GPU tests skipped", file=sys.stderr)
    else:
        print(f"autograder: --gpu: {device.description}", file=sys.stderr)
    return device


def warn_if_exposed(tier):
    """One line when submissions at this tier can read the hidden reference (the README's Security section)."""
    from . import runner
    same_user = os.geteuid() != 0  # the worker then runs as this user
    if tier == "limits" and (same_user or any(sandbox_can_read(p) for p in runner.REFERENCE_DIR.glob("*.py"))):
        print(f"autograder: warning: at the {tier} tier a submission can read {runner.REFERENCE_DIR}; "
              f"grade untrusted code as root or with bubblewrap (see the README's Security section)", file=sys.stderr)


def sandbox_can_read(path):
    """Whether a user with no relation to the file's owner may read `path`."""
    import stat
    path = Path(path).resolve()
    if not path.stat().st_mode & stat.S_IROTH:
        return False
    return all(folder.stat().st_mode & stat.S_IXOTH for folder in path.parents)


def check_out_dir(out):
    out_dir = Path(out)
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"--out {out}: cannot create ({error.strerror})") from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise UsageError(f"--out {out}: not writable")
    if out_dir.stat().st_mode & 0o002:
        raise UsageError(f"--out {out}: writable by every user, so sandboxed code could tamper with "
                         f"the reports; use a folder of your own")
    return out_dir


def check_paths(paths):
    from .submission import name_of

    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise UsageError(f"no such submission: {', '.join(missing)}")
    seen = {}
    for path in paths:
        name = name_of(path)
        if name in ("summary",):
            raise UsageError(f"{path}: the name {name!r} is reserved for the batch summary")
        if name in seen:
            raise UsageError(f"{seen[name]} and {path} would both write {name}.json; rename one")
        seen[name] = path


def load_rubric(path):
    from . import rubric as rubric_module
    try:
        return rubric_module.load(path) if path else rubric_module.load()
    except rubric_module.RubricError as error:
        raise UsageError(str(error)) from None


class Progress:
    """A progress bar on a terminal, one plain line per submission otherwise."""

    def __init__(self, total):
        self.bar = None
        if sys.stderr.isatty() and total > 1:
            from tqdm import tqdm
            self.bar = tqdm(total=total, unit="submission", file=sys.stderr)

    def update(self, outcome, seconds):
        if outcome.report is not None:
            line = f"{outcome.name}: {outcome.report['score']:g} / {outcome.report['max_score']:g} ({seconds:.1f} s)"
            if outcome.report.get("error"):  # unreadable: say why on the same line
                line += " - " + " ".join(str(outcome.report["error"]).split())
        else:
            line = f"{outcome.name}: grader failure"
        if self.bar:
            self.bar.set_postfix_str(line)
            self.bar.update()
        else:
            print(f"graded {line}", file=sys.stderr, flush=True)

    def close(self):
        if self.bar:
            self.bar.close()


def table_command(args):
    summary_path = Path(args.out) / "summary.json"
    try:
        summary = json.loads(summary_path.read_text())
    except (OSError, ValueError) as error:
        raise UsageError(f"{summary_path}: cannot read ({error})") from None
    rows = summary["submissions"]
    width = max([len("submission")] + [len(r["submission"]) for r in rows])
    parts = list(dict.fromkeys(key for r in rows for key in r.get("parts", {})))  # the rubric's order
    print(f"{'submission':<{width}}  {'score':>7}  {'max':>5}  " + "".join(f"{p:>{max(len(p), 6)}}  " for p in parts)
          + "note")
    for r in rows:
        scores = "".join(f"{r.get('parts', {}).get(p, 0):>{max(len(p), 6)}g}  " for p in parts)
        print(f"{r['submission']:<{width}}  {r['score']:>7g}  {r['max_score']:>5g}  {scores}{r['error']}")
    return EXIT_OK


def release_command(args):
    from . import release
    if args.check:
        stale = release.check_in_sync()
        for path in stale:
            print(f"out of date: {path}")
        return EXIT_GRADER_FAILED if stale else EXIT_OK
    return release.main()


def bench_command(args):
    from .benchmarks import grading, reference_vs_torch
    status = 0
    if args.which in ("all", "reference"):
        status |= reference_vs_torch.main([])
    if args.which in ("all", "grading"):
        status |= grading.main([])
    return status


def check_command(args):
    """The public tests on a student's working copy: the grader's feedback, exit 0 when all pass."""
    import tempfile
    from . import feedback, report, runner, sandbox
    from .submission import SubmissionError, name_of, prepare

    if not Path(args.path).exists():
        raise UsageError(f"no such file or folder: {args.path}")
    out_dir = check_out_dir(args.out) if args.out else None
    rubric = load_rubric(None)
    try:
        tier = sandbox.probe(args.sandbox)
    except (RuntimeError, ValueError) as error:
        raise UsageError(str(error)) from None
    name = name_of(Path(args.path).resolve())
    with tempfile.TemporaryDirectory(prefix="autograder-check-") as scratch:
        Path(scratch).chmod(0o711)  # the sandboxed worker may reach its folder, not list others
        folder = Path(scratch) / "submission"
        folder.mkdir(mode=0o755)
        try:
            prepare(args.path, folder)
        except SubmissionError as error:
            raise UsageError(str(error)) from None
        result = runner.grade(folder, name, rubric, tier=tier, scratch_dir=Path(scratch),
                              select=lambda entry: entry.public)
    if out_dir:
        report.write_json(out_dir / f"{name}.json", result)
    print(feedback.report_text(result))
    passed = all(t["status"] == "passed" for t in result["tests"])
    print("All public tests passed. The grader tests much more: other sizes, dtypes, gradients and rules."
          if passed else "Some public tests failed: see the messages above.")
    return EXIT_OK if passed else EXIT_GRADER_FAILED


COMMANDS = {"grade": grade_command, "table": table_command, "release": release_command,
            "bench": bench_command, "check": check_command}
