"""`table DIR`: the score table of a reports folder (its summary.json), a column per part."""
import json
from pathlib import Path

from .errors import EXIT_OK, UsageError

HELP = "print the score table of a reports folder"


def add_arguments(parser):
    parser.add_argument("out", metavar="DIR")


def run(args):
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
