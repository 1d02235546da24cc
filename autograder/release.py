"""The student release, generated from reference/ (the single source).

reference/*.py marks every solution with nbgrader's `### BEGIN SOLUTION` /
`### END SOLUTION` lines. From it, `main` writes

    assignments/{activations,rnn,lstm,gru,sequences}.py   the stubs students receive
    assignments/test_public.py                   their public tests, and the
    assignments/public_expected.json             reference's outputs they compare with
    examples/submissions/reference_solution/     the reference without its markers
    examples/submissions/blank_release/          the stubs, as submitted untouched

assignments/README.md and assignments/Makefile are written by hand.
`check_in_sync` says which generated files differ from what is on disk, so a
test can prove the release is in sync with the reference.

    python -m autograder release [--check]     # also regenerates the nbgrader notebook
"""
import ast
import json
import re
import sys
import types
from pathlib import Path
from typing import NamedTuple

import numpy as np

from . import contract
from .contract import MODULES

ROOT = Path(__file__).resolve().parents[1]

BEGIN = re.compile(r"^(?P<indent>[ \t]*)### BEGIN SOLUTION[ \t]*$")
END = re.compile(r"^[ \t]*### END SOLUTION[ \t]*$")
# Any other line naming a marker is a typo that could leak a solution.
LOOKS_LIKE_MARKER = re.compile(r"(BEGIN|END) SOLUTION")

NOT_IMPLEMENTED = "{name}: not implemented yet (replace this line with your code)"

# Expected values are written with this many significant digits: far finer
# than the public tests' tolerance, and coarse enough that another BLAS or a
# faster reference (a different summation order) writes the same file.
EXPECTED_DIGITS = 10
EXPECTED_ZERO = 1e-12  # |value| below this is written as 0

# The public test file, copied verbatim to assignments/test_public.py; it is
# written as a real module beside this one so that it reads and lints as code.
PUBLIC_TESTS = Path(__file__).with_name("public_tests_template.py").read_text(encoding="utf-8")


# --- solution regions -------------------------------------------------------

class Region(NamedTuple):
    """One solution region: 0-based line indices of its two marker lines."""
    begin: int
    end: int
    indent: str  # the BEGIN marker's indentation; "" at module level


def find_regions(lines):
    """The solution regions of `lines` (strings without newlines), in order.

    Raises ValueError for an unbalanced or nested marker, a line that looks
    like a marker but is not one, or a region that leaves its block.
    """
    regions, open_at = [], None
    for i, line in enumerate(lines):
        if BEGIN.match(line):
            if open_at is not None:
                raise ValueError(f"line {i + 1}: BEGIN SOLUTION inside the region opened at line {open_at + 1}")
            open_at = i
        elif END.match(line):
            if open_at is None:
                raise ValueError(f"line {i + 1}: END SOLUTION without a BEGIN SOLUTION")
            regions.append(Region(open_at, i, BEGIN.match(lines[open_at])["indent"]))
            open_at = None
        elif LOOKS_LIKE_MARKER.search(line):
            raise ValueError(f"line {i + 1}: malformed solution marker {line.strip()!r}")
    if open_at is not None:
        raise ValueError(f"line {open_at + 1}: BEGIN SOLUTION is never closed")
    for region in regions:
        for i in range(region.begin + 1, region.end):
            line = lines[i]
            if line.strip() and not line.startswith(region.indent):
                raise ValueError(f"line {i + 1}: the solution region opened at line "
                                 f"{region.begin + 1} leaves its block")
    return regions


def _enclosing_function(tree, lineno):
    """The name of the innermost function whose body holds line `lineno`, or None."""
    name, start = None, 0
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.lineno < lineno <= node.end_lineno and node.lineno > start:
                name, start = node.name, node.lineno
    return name


_REMOVED = object()  # where a module-level region was, until blank lines are tidied


def strip_solutions(source: str) -> str:
    """The student's stub: every solution region replaced or removed.

    A region inside a function body becomes `raise NotImplementedError(...)`
    naming the function, at the region's indentation; a module-level region
    is removed, leaving at most two blank lines where it was.
    """
    lines = source.splitlines(keepends=True)
    regions = find_regions([line.rstrip("\r\n") for line in lines])
    tree = ast.parse(source) if any(r.indent for r in regions) else None
    items, done = [], 0
    for region in regions:
        items += lines[done:region.begin]
        if region.indent:
            name = _enclosing_function(tree, region.begin + 1)
            if name is None:
                raise ValueError(f"line {region.begin + 1}: an indented solution region "
                                 "must be inside a function body")
            message = NOT_IMPLEMENTED.format(name=name)  # a function name needs no escaping
            items.append(f'{region.indent}raise NotImplementedError("{message}")\n')
        else:
            items.append(_REMOVED)
        done = region.end + 1
    items += lines[done:]
    return "".join(_tidy_blank_lines(items))


def _tidy_blank_lines(items):
    """Replace each _REMOVED and the blank lines around it by at most two blank lines
    (none at the start or the end of the file)."""
    result, i = [], 0
    while i < len(items):
        if items[i] is not _REMOVED:
            result.append(items[i])
            i += 1
            continue
        before = 0
        while result and not result[-1].strip():
            result.pop()
            before += 1
        after = 0
        i += 1
        while i < len(items) and (items[i] is _REMOVED or not items[i].strip()):
            after += items[i] is not _REMOVED
            i += 1
        if result and i < len(items):
            result += ["\n"] * min(2, max(before, after))
    return result


def solution_only(source: str) -> str:
    """The reference with only its marker lines removed: a complete submission."""
    lines = source.splitlines(keepends=True)
    regions = find_regions([line.rstrip("\r\n") for line in lines])
    markers = {i for region in regions for i in (region.begin, region.end)}
    return "".join(line for i, line in enumerate(lines) if i not in markers)


# --- the public tests -------------------------------------------------------

def _public_tests_module(test_path):
    """PUBLIC_TESTS imported as a module, as if it were the file `test_path`."""
    module = types.ModuleType("_release_public_tests")
    module.__file__ = str(test_path)
    sys.modules[module.__name__] = module  # for NamedTuple's and pytest's lookups
    try:
        exec(compile(PUBLIC_TESTS, str(test_path), "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    return module


def _rounded(value):
    """`value` as nested lists of floats with EXPECTED_DIGITS significant digits."""
    array = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError("the reference produced a non-finite expected value")
    flat = [0.0 if abs(v) < EXPECTED_ZERO else float(f"{v:.{EXPECTED_DIGITS}g}")
            for v in array.ravel().tolist()]
    return np.array(flat, dtype=np.float64).reshape(array.shape).tolist()


def expected_json(public, reference_dir):
    """public_expected.json: every public check's outputs, computed by the reference."""
    modules = public.load_modules(reference_dir)
    for name, module in modules.items():
        if isinstance(module, BaseException):
            raise RuntimeError(f"reference/{name}.py cannot be imported: {module!r}") from module
    lines = ["{", f'  "_about": {json.dumps(EXPECTED_ABOUT)},',
             f'  "_built_from": {json.dumps({f: list(parts) for f, parts in contract.BUILT_FROM.items()})},']
    for k, (label, case) in enumerate(public.CASES.items()):
        outputs = public.compute_outputs(case, modules[case.module], np.float64)
        body = ",\n".join(f"    {json.dumps(name)}: {json.dumps(_rounded(value))}"
                          for name, value in outputs.items())
        comma = "," if k < len(public.CASES) - 1 else ""
        lines += [f"  {json.dumps(label)}: {{", body, "  }" + comma]
    return "\n".join(lines + ["}"]) + "\n"


EXPECTED_ABOUT = ("Outputs of the reference implementation on test_public.py's fixed inputs, "
                  "written by autograder/release.py; do not edit.")


# --- the release ------------------------------------------------------------

def _defaults(reference_dir, assignments_dir, examples_dir):
    return (Path(reference_dir or ROOT / "reference"),
            Path(assignments_dir or ROOT / "assignments"),
            Path(examples_dir or ROOT / "examples"))


def build_release(*, reference_dir=None, assignments_dir=None, examples_dir=None):
    """Every generated file: {path: text}, in a fixed order. Writes nothing.

    examples_dir is the folder holding submissions/ (examples/ by default).
    """
    reference_dir, assignments_dir, examples_dir = _defaults(reference_dir, assignments_dir, examples_dir)
    submissions = examples_dir / "submissions"
    files = {}
    for name in MODULES:
        path = reference_dir / f"{name}.py"
        source = path.read_text(encoding="utf-8")
        try:
            stub, solution = strip_solutions(source), solution_only(source)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
        compile(stub, str(path), "exec")  # a stub that does not parse must never ship
        files[assignments_dir / f"{name}.py"] = stub
        files[submissions / "blank_release" / f"{name}.py"] = stub
        files[submissions / "reference_solution" / f"{name}.py"] = solution
    test_path = assignments_dir / "test_public.py"
    files[test_path] = PUBLIC_TESTS
    files[assignments_dir / "public_expected.json"] = expected_json(
        _public_tests_module(test_path), reference_dir)
    return files


def _shown(path):
    """`path` relative to the repository root when it lies inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def main(*, reference_dir=None, assignments_dir=None, examples_dir=None) -> int:
    """Write the release; print one line per file. Returns 0, or 1 on a marker error."""
    try:
        files = build_release(reference_dir=reference_dir, assignments_dir=assignments_dir,
                              examples_dir=examples_dir)
    except ValueError as exc:
        print(f"release: {exc}", file=sys.stderr)
        return 1
    for path, text in files.items():
        data = text.encode("utf-8")
        if path.exists() and path.read_bytes() == data:
            print(f"unchanged {_shown(path)}")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote     {_shown(path)}")
    return 0


def check_in_sync(*, reference_dir=None, assignments_dir=None, examples_dir=None) -> list[str]:
    """The generated files whose content on disk differs from what main would write."""
    files = build_release(reference_dir=reference_dir, assignments_dir=assignments_dir,
                          examples_dir=examples_dir)
    return [_shown(path) for path, text in files.items()
            if not path.is_file() or path.read_bytes() != text.encode("utf-8")]
