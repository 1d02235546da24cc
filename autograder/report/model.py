"""The report of one submission, as data: a Report of PartResults and
TestResults. scoring.py builds it; the writers (json_report.py, gradescope.py,
junit.py, text.py, html.py) turn it into files; `Report.from_dict` reads one
back. Its JSON form is the contract's report (a superset of Gradescope's
results.json), described by report.schema.json.
"""
from dataclasses import dataclass, field, fields

SCHEMA_VERSION = "1"


@dataclass
class TestResult:
    """One test of the hidden suite (one instance of a parametrized test)."""
    __test__ = False   # not a test class for pytest, though its name starts with Test
    name: str
    """Its title, for the student."""
    number: str
    """part.test[.instance], e.g. "3.7" or "1.5.sigmoid": the report's order."""
    score: float
    max_score: float
    status: str
    """passed or failed (a skipped test counts as passed with 0 of 0 points)."""
    output: str
    """Empty when passed; else what is wrong, where, and a hint."""
    tags: list
    """The contract functions it exercises (plus "gpu" for GPU parity tests)."""
    key: str
    """Its rubric entry: the suite's test function name without test_."""
    outcome: str
    """pytest's: passed, failed, skipped or error."""
    visibility: str = "visible"
    grader_error: str = None
    """The grader's own failure in this test, if any."""
    cause: str = None
    """A failed test's cause (value, dtype, shape, type, mutation, crash, trivial)."""
    extra: dict = field(default_factory=dict)
    """Further fields of a test result (diagnosis, plots), written as they are."""

    def to_dict(self):
        data = {"name": self.name, "number": self.number, "score": self.score, "max_score": self.max_score,
                "status": self.status, "output": self.output, "tags": list(self.tags),
                "visibility": self.visibility, "key": self.key, "outcome": self.outcome}
        if self.grader_error:
            data["grader_error"] = self.grader_error
        if self.cause:
            data["cause"] = self.cause
        data.update(self.extra)
        return data

    @classmethod
    def from_dict(cls, data):
        known = {f.name for f in fields(cls)} - {"extra"}
        return cls(**{k: v for k, v in data.items() if k in known},
                   extra={k: v for k, v in data.items() if k not in known})

    @property
    def counted(self):
        """Whether it counted (a test skipped, such as a GPU test without --gpu, did not)."""
        return self.outcome != "skipped"

    @property
    def part_number(self):
        return int(self.number.split(".")[0])


@dataclass
class PartResult:
    """One part of the rubric and its subtotal."""
    key: str
    number: int
    title: str
    score: float
    max_score: float
    passed: int
    """How many of its counted tests passed."""
    tests: int
    """How many of its tests counted."""

    def to_dict(self):
        return {"key": self.key, "number": self.number, "title": self.title, "score": self.score,
                "max_score": self.max_score, "passed": self.passed, "tests": self.tests}

    @classmethod
    def from_dict(cls, data):
        return cls(**{f.name: data[f.name] for f in fields(cls)})


@dataclass
class Report:
    """The report of one submission."""
    submission: str
    score: float
    max_score: float
    execution_time: float
    """Seconds spent grading it."""
    output: str
    """The summary for the student: the score per part."""
    tests: list
    """TestResults, in number order."""
    parts: list
    """PartResults, in the rubric's order."""
    sandbox: dict
    """The isolation tier it ran in: {"tier", "description", "degraded"}."""
    grader_errors: int = 0
    """Tests in which the grader itself failed (not the student's fault)."""
    visibility: str = "visible"
    error: str = None
    """Why it could not be graded at all (every test failed with this reason)."""
    extra: dict = field(default_factory=dict)
    """The run's own fields (worker_starts, printed, tests_replayed, gpu), written as they are."""
    schema_version: str = SCHEMA_VERSION

    def to_dict(self):
        """The report as the contract's JSON object."""
        data = {"schema_version": self.schema_version, "submission": self.submission, "score": self.score,
                "max_score": self.max_score, "execution_time": self.execution_time, "output": self.output,
                "visibility": self.visibility, "tests": [test.to_dict() for test in self.tests],
                "parts": [part.to_dict() for part in self.parts], "sandbox": self.sandbox,
                "grader_errors": self.grader_errors}
        if self.error:
            data["error"] = self.error
        data.update(self.extra)
        return data

    @classmethod
    def from_dict(cls, data):
        """A report read back from its JSON object."""
        known = {f.name for f in fields(cls)} - {"extra", "tests", "parts"}
        return cls(**{k: v for k, v in data.items() if k in known},
                   tests=[TestResult.from_dict(test) for test in data.get("tests", [])],
                   parts=[PartResult.from_dict(part) for part in data.get("parts", [])],
                   extra={k: v for k, v in data.items() if k not in known | {"tests", "parts"}})

    def tests_of_part(self, part):
        return [test for test in self.tests if test.part_number == part.number]
