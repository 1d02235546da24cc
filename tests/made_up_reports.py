"""Small reports made up for the tests of what is written from reports (the
HTML pages, the class overview, Gradescope's output): valid against
report.schema.json, and adding up."""
from autograder.report.model import Report

PART_TITLES = {1: "Part one", 2: "Part two"}


def made_test(number, status, *, max_score=1.0, score=None, output=None, name=None, **extra):
    """One test of a report: passed (full points) or failed (0, or `score` kept), with extra fields."""
    if score is None:
        score = max_score if status == "passed" else 0.0
    return {"name": name or f"test {number}", "number": number, "score": score, "max_score": max_score,
            "status": status, "output": "" if status == "passed" else (output or "wrong"), "tags": [],
            "visibility": "visible", "key": "k", "outcome": status, **extra}


def report_dict(name, tests, *, error=None, **extra):
    """A report of `tests` (made_test's, or (number, status, extra fields) triples), its parts
    numbered by the tests' first number."""
    made = [t if isinstance(t, dict) else made_test(t[0], t[1], **t[2]) for t in tests]
    parts = []
    for number in sorted({int(t["number"].split(".")[0]) for t in made}):
        mine = [t for t in made if int(t["number"].split(".")[0]) == number]
        parts.append({"key": f"p{number}", "number": number, "title": PART_TITLES.get(number, f"Part {number}"),
                      "score": round(sum(t["score"] for t in mine), 4),
                      "max_score": round(sum(t["max_score"] for t in mine), 4),
                      "passed": sum(t["status"] == "passed" for t in mine), "tests": len(mine)})
    data = {"schema_version": "1", "submission": name, "score": round(sum(t["score"] for t in made), 4),
            "max_score": round(sum(t["max_score"] for t in made), 4), "execution_time": 1.0, "output": "Score",
            "tests": made, "parts": parts, "sandbox": {}, "grader_errors": 0, **extra}
    if error:
        data["error"] = error
    return data


def report(name, tests, **kwargs):
    """report_dict's report as a Report."""
    return Report.from_dict(report_dict(name, tests, **kwargs))


PER_STEP = {"kind": "per_step", "title": "rnn_backward: error of dX at each time step", "x_label": "time step t",
            "y_label": "largest |yours − reference|", "x": [0, 1, 2], "series": {"dX": [0.5, 0.1, 0.0]},
            "log_y": True, "threshold": 1e-7}
PER_BLOCK = {"kind": "per_block", "title": "rnn_backward: relative error of each gradient", "x_label": "gradient",
             "y_label": "relative error", "x": ["dX", "dW_hh"], "series": {"relative error": [1e-16, 0.3]},
             "log_y": True, "highlight": ["dW_hh"]}
CURVES = {"kind": "curves", "title": "rnn_gradient_norms: the gradient's norm g[t] at each step",
          "x_label": "time step t", "y_label": "g[t]", "x": [0, 1, 2],
          "series": {"yours": [0.0, 0.0, 1.0], "reference": [0.2, 0.5, 1.0]}, "log_y": False}
