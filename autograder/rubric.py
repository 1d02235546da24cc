"""The rubric: parts, points per test, hints, limits and allowed imports.

Instructors edit rubric.toml; this module reads and checks it. A test's key is
its function name in the grading suite without `test_`; a parametrized test
splits its points evenly over its instances.
"""
import difflib
from dataclasses import dataclass, field, fields
from pathlib import Path

from .paths import DEFAULT_RUBRIC
from .sandbox.outside.tiers import Limits

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10 (Gradescope's Ubuntu 22.04 image): the same parser as a package
    import tomli as tomllib


# The keys rubric.toml may hold, per table ("" is the top level; "tests.*" is
# every [tests.<key>]). A table not named here holds keys of the rubric's own
# choosing (the names of [parts] and [tests]). Any other key is refused, so
# that a typo is not silently ignored. To allow a key, add it here (and read
# it in _build).
KEYS = {
    "": {"grading", "causes", "parts", "tests"},
    "causes": {"dtype", "shape", "type", "mutation", "crash", "trivial"},  # "value": the test's own hint
    "grading": {"call_timeout_s", "budget_s", "allowed_imports", "limits", "consequential_errors",
                "carried_credit"},
    "grading.limits": {limit.name for limit in fields(Limits)},
    "parts.*": {"title", "consequential_errors"},
    "tests.*": {"part", "points", "hint", "public", "gpu", "tags"},
}


# What a failure that follows from a mistake in another function costs
# (suite/carry_forward.py): a share of its points ("carry-forward") or all of them.
CONSEQUENTIAL_ERRORS = ("carry-forward", "penalize")


class RubricError(Exception):
    """The rubric file is missing, malformed or out of step with the suite."""


@dataclass(frozen=True)
class Part:
    key: str
    number: int
    title: str
    consequential_errors: str = "carry-forward"   # the part's own rule, or the rubric's


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
    carried_credit: float = 0.9   # the share of its points a test keeps when the error is carried forward

    def max_score(self, gpu=False):
        return sum(t.points for t in self.tests.values() if gpu or not t.gpu)

    def kept_share(self, test):
        """The share of `test`'s points kept when it fails only because of a
        mistake in another function (carry_forward.py): per its part's rule."""
        return self.carried_credit if self.parts[test.part].consequential_errors == "carry-forward" else 0.0


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
        _check_keys(data)
        return _build(data)
    except (KeyError, TypeError, ValueError) as error:
        raise RubricError(f"rubric {path}: {error}") from None


def _check_keys(table, path=(), rule=""):
    """Raise ValueError naming the first key of `table` (or of a table in it) that KEYS does not allow."""
    allowed = KEYS.get(rule)
    for key, value in table.items():
        if allowed is not None and key not in allowed:
            where = f"in [{'.'.join(path)}]" if path else "at the top level"
            guess = difflib.get_close_matches(key, sorted(allowed), n=1)
            hint = f"did you mean {guess[0]!r}?" if guess else f"allowed: {', '.join(sorted(allowed))}"
            raise ValueError(f"unknown key {key!r} {where} ({hint})")
        if isinstance(value, dict):
            inner = f"{rule}.{key}" if rule else key
            if inner not in KEYS and f"{rule}.*" in KEYS:
                inner = f"{rule}.*"
            _check_keys(value, path + (key,), inner)


def _rule(value, where):
    if value not in CONSEQUENTIAL_ERRORS:
        raise ValueError(f"{where}consequential_errors is {value!r}; it must be one of "
                         f"{', '.join(map(repr, CONSEQUENTIAL_ERRORS))}")
    return value


def _build(data):
    grading = data.get("grading", {})
    rule = _rule(grading.get("consequential_errors", "carry-forward"), "[grading] ")
    parts = {}
    for number, (key, part) in enumerate(data["parts"].items(), start=1):
        parts[key] = Part(key, number, str(part["title"]),
                          _rule(part.get("consequential_errors", rule), f"[parts.{key}] "))
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
    limits = Limits(**grading.get("limits", {}))
    causes = {str(cause): str(hint) for cause, hint in data.get("causes", {}).items()}
    credit = float(grading.get("carried_credit", 0.9))
    if not 0 <= credit <= 1:
        raise ValueError(f"[grading] carried_credit is {credit}; it must be between 0 and 1")
    return Rubric(parts, tests, limits, float(grading.get("call_timeout_s", 5.0)),
                  float(grading.get("budget_s", 120.0)), tuple(grading.get("allowed_imports", ())), causes,
                  credit)
