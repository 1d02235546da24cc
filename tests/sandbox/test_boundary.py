"""Is the trust boundary where the folder names say it is?

Everything under autograder/sandbox/inside/ runs in the sandboxed worker, with
the student's code: it may import the standard library and NumPy (a device
module, its own array package too), and nothing of the grader, pytest or
hypothesis, so that nothing the grader knows is within reach.
"""
import ast
import subprocess
import sys

import pytest

from autograder.sandbox.outside import tiers

INSIDE = tiers.INSIDE_FOLDER
ALLOWED = set(sys.stdlib_module_names) | {"numpy"}
DEVICE_PACKAGES = {"cupy_device.py": {"cupy"}}   # the device's own array package


def imports_of(path):
    """The top-level names `path` imports absolutely (relative imports stay in the package)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.partition(".")[0])
    return names


@pytest.mark.parametrize("path", sorted(INSIDE.rglob("*.py")), ids=lambda path: str(path.relative_to(INSIDE)))
def test_inside_imports_only_the_standard_library_and_numpy(path):
    """Does each module that runs in the sandbox import nothing but the standard library and NumPy?"""
    outside = imports_of(path) - ALLOWED - DEVICE_PACKAGES.get(path.name, set())
    assert not outside, f"{path.relative_to(INSIDE)} imports {sorted(outside)}"


LOADED = """
import sys
sys.path.insert(0, sys.argv[1])
import run
run.load_package()
print("\\n".join(sorted(sys.modules)))
"""


def test_the_worker_as_started_loads_nothing_of_the_grader():
    """Started as the grader starts it (python -I -S, the package loaded by path), does the worker
    have only the standard library, NumPy and its own package in sys.modules?"""
    done = subprocess.run([sys.executable, "-I", "-S", "-c", LOADED, str(INSIDE)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = {name.partition(".")[0] for name in done.stdout.split()}
    assert "_sandbox" in loaded
    assert not loaded - ALLOWED - {"_sandbox", "run", "__main__"}, sorted(loaded - ALLOWED)


def test_the_grader_imports_only_the_protocol_from_inside():
    """Does the grader's side (sandbox/outside/ and the rest of the package) import nothing from
    inside/ but the wire protocol (and the device modules' path)?"""
    package = INSIDE.parents[1]
    crossing = []
    for path in package.rglob("*.py"):
        if INSIDE in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and "inside" in node.module.split("."):
                if not node.module.endswith("protocol") and node.module != "autograder.sandbox.inside.devices":
                    crossing.append(f"{path.relative_to(package)}: from {node.module}")
    assert not crossing, crossing
