"""The rubric: parts, points per test, hints, limits and allowed imports.

Instructors edit rubric.toml; this module reads and checks it. A test's key is
its function name in the grading suite without `test_`; a parametrized test
splits its points evenly over its instances.
"""
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .sandbox import Limits

DEFAULT_RUBRIC = Path(__file__).with_name("rubric.toml")


class RubricError(Exception):
    """The rubric file is missing, malformed or out of step with the suite."""


@dataclass(frozen=True)
class Part:
    key: str
    number: int
    title: str


@dataclass(frozen=True)
class TestEntry:
    key: str            # suite test function name without "test_"
    part: str
    number: str         # "part.index", the report's sort key
    points: float
    hint: str = ""
    public: bool = False   # also run by `autograder check`
    gpu: bool = False      # counts only with --gpu
    tags: tuple = ()       # contract functions the test exercises


@dataclass(frozen=True)
class Rubric:
    parts: dict                 # key -> Part, in order
    tests: dict                 # key -> TestEntry, in order
    limits: Limits = field(default_factory=Limits)
    call_timeout_s: float = 5.0
    budget_s: float = 120.0
    allowed_imports: tuple = ()
    causes: dict = field(default_factory=dict)   # a failure's cause -> the hint shown with it

    def max_score(self, gpu=False):
        return sum(t.points for t in self.tests.values() if gpu or not t.gpu)


def load(path=DEFAULT_RUBRIC):
    """Read and validate a rubric file; raises RubricError with the reason."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as error:
        raise RubricError(f"cannot read rubric {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise RubricError(f"rubric {path} is not valid TOML: {error}") from None
    try:
        return _build(data)
    except (KeyError, TypeError, ValueError) as error:
        raise RubricError(f"rubric {path}: {error}") from None


def _build(data):
    parts = {}
    for number, (key, part) in enumerate(data["parts"].items(), start=1):
        parts[key] = Part(key, number, str(part["title"]))
    tests, counters = {}, {key: 0 for key in parts}
    for key, entry in data["tests"].items():
        part = entry["part"]
        if part not in parts:
            raise ValueError(f"test {key!r} names unknown part {part!r}")
        counters[part] += 1
        points = float(entry["points"])
        if points < 0:
            raise ValueError(f"test {key!r} has negative points")
        tests[key] = TestEntry(key, part, f"{parts[part].number}.{counters[part]}", points,
                               str(entry.get("hint", "")), bool(entry.get("public", False)),
                               bool(entry.get("gpu", False)), tuple(entry.get("tags", ())))
    grading = data.get("grading", {})
    limits = Limits(**grading.get("limits", {}))
    causes = {str(cause): str(hint) for cause, hint in data.get("causes", {}).items()}
    return Rubric(parts, tests, limits, float(grading.get("call_timeout_s", 5.0)),
                  float(grading.get("budget_s", 120.0)), tuple(grading.get("allowed_imports", ())), causes)
