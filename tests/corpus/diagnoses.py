"""How well the reports' diagnoses name the corpus's mistakes.

Each wrong case of wrong.toml says which catalogued mistake it is
(`misconception`). From a reports folder of the corpus (materialize.py's
names: wrong__<case>, correct__<name>, trivial__<kind>, wrapped__<kind>):

- right: the wrong submissions one of whose failed tests names their
  misconception (or one of its group);
- wrong diagnoses: failed tests, in any submission, whose diagnosis names
  another mistake, or any mistake at all in a correct, trivial or wrapped
  submission (which hold none of the catalogue's).

    python -m autograder grade $(python -m tests.corpus.materialize DIR) --out REPORTS
    python -m tests.corpus.diagnoses REPORTS        # prints both figures and what they count
"""
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from autograder.suite import mutants

from . import materialize


@dataclass
class Figures:
    wrong_cases: list = field(default_factory=list)       # names of the wrong submissions graded
    right: list = field(default_factory=list)             # those diagnosed with their own misconception
    missed: dict = field(default_factory=dict)            # the others: name -> the diagnoses they got
    wrong_diagnoses: list = field(default_factory=list)   # (submission, test number, id named, id expected)

    @property
    def share(self):
        return len(self.right) / len(self.wrong_cases) if self.wrong_cases else 0.0

    def lines(self):
        out = [f"diagnosed with the right misconception: {len(self.right)} of {len(self.wrong_cases)} wrong "
               f"submissions ({100 * self.share:.1f} %)",
               f"wrong diagnoses: {len(self.wrong_diagnoses)}"]
        out += [f"  not diagnosed: {name} ({', '.join(sorted(set(got))) or 'no diagnosis'})"
                for name, got in sorted(self.missed.items())]
        out += [f"  wrong: {submission} test {number} named {named}, expected {expected or 'none'}"
                for submission, number, named, expected in self.wrong_diagnoses]
        return out


def same_kind(named, expected):
    """Whether a diagnosis names the expected mistake or one of its group."""
    mistakes = mutants.by_id()
    if named == expected:
        return True
    return named in mistakes and expected in mistakes and mistakes[named].kind == mistakes[expected].kind


def figures(reports):
    """Figures of `reports` (submission name -> report)."""
    cases = {materialize.WRONG_PREFIX + case.name: case for case in materialize.load_wrong_cases()}
    result = Figures()
    for name, report in sorted(reports.items()):
        case = cases.get(name)
        expected = case.misconception if case is not None else None
        named = [(test["number"], test["diagnosis"]["id"]) for test in report["tests"] if test.get("diagnosis")]
        for number, mistake in named:
            if expected is None or not same_kind(mistake, expected):
                result.wrong_diagnoses.append((name, number, mistake, expected))
        if case is None:
            continue
        result.wrong_cases.append(name)
        if any(same_kind(mistake, expected) for _, mistake in named):
            result.right.append(name)
        else:
            result.missed[name] = [mistake for _, mistake in named]
    return result


def read_reports(folder):
    """Submission name -> report, for every report in `folder` (not the summaries)."""
    return {path.stem: json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(Path(folder).glob("*.json")) if path.name != "summary.json"}


if __name__ == "__main__":
    print("\n".join(figures(read_reports(sys.argv[1])).lines()))
