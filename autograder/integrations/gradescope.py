"""Gradescope: the autograder zip, and what its run_autograder does.

`build(zip_path)` writes the zip Gradescope's "Configure Autograder" page
takes: setup.sh and run_autograder at the top, with the grader (autograder/,
reference/, assignments/) and requirements.txt beside them. Gradescope
unpacks it into /autograder/source, runs setup.sh once to build the image,
then run_autograder once per submission, which runs

    python -m autograder gradescope run [--root /autograder]

It grades /autograder/submission (the five files, a notebook, a zip, or one
folder holding them) and writes /autograder/results/results.json: our report
cut down to the fields of Gradescope's specification, the rest (parts,
sandbox) under extra_data. The root is configurable (AUTOGRADER_ROOT for
run_autograder) so that a test can run it on a fake /autograder tree.

    python -m autograder gradescope build [--out build/gradescope/autograder.zip]
"""
import stat
import zipfile
from pathlib import Path

from ..contract import MODULES

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ZIP = ROOT / "build" / "gradescope" / "autograder.zip"
SHIPPED = ("autograder", "reference", "assignments")  # folders of the grader the zip carries
SKIPPED = ("__pycache__", ".pyc", ".hypothesis", ".pytest_cache")
ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # fixed, so that the same sources give the same zip


SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image
# (its Ubuntu base image). The grader runs from /autograder/source.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3 python3-venv python3-pip bubblewrap >/dev/null
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --quiet --disable-pip-version-check -r /autograder/source/requirements.txt
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this once per submission: grade /autograder/submission and
# write /autograder/results/results.json. AUTOGRADER_ROOT and AUTOGRADER_PYTHON
# move it elsewhere (the project's tests run it on a fake /autograder tree).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}"
cd "$ROOT/source"
export PYTHONPATH="$ROOT/source${PYTHONPATH:+:$PYTHONPATH}"
exec "$PYTHON" -m autograder gradescope run --root "$ROOT"
"""


# --- the zip ----------------------------------------------------------------

def requirements():
    """requirements.txt: the project's dependencies and the `plot` extra (matplotlib
    draws the first plot of a failed test into results.json), from pyproject.toml."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return "\n".join(project["dependencies"] + project["optional-dependencies"]["plot"]) + "\n"


def zip_entries():
    """{name in the zip: (bytes, executable)}."""
    entries = {"setup.sh": (SETUP_SH.encode(), True), "run_autograder": (RUN_AUTOGRADER.encode(), True),
               "requirements.txt": (requirements().encode(), False)}
    for folder in SHIPPED:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and not any(part in SKIPPED or part.endswith(SKIPPED) for part in path.parts):
                entries[path.relative_to(ROOT).as_posix()] = (path.read_bytes(), False)
    return entries


def build(zip_path=DEFAULT_ZIP):
    """Write the Gradescope autograder zip; returns its path."""
    zip_path = Path(zip_path)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, (data, executable) in zip_entries().items():
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
            archive.writestr(info, data)
    return zip_path


# --- run_autograder ---------------------------------------------------------

def locate(submission_dir):
    """What to grade in Gradescope's submission folder: the folder itself, or the
    one zip, notebook or subfolder it holds (an uploaded folder or zip)."""
    folder = Path(submission_dir)
    if any((folder / f"{m}.py").is_file() for m in MODULES):
        return folder
    entries = [p for p in folder.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    notebooks = [p for p in entries if p.suffix == ".ipynb"]
    zips = [p for p in entries if p.suffix == ".zip"]
    folders = [p for p in entries if p.is_dir()]
    if len(notebooks) == 1:
        return notebooks[0]
    if not notebooks and len(zips) == 1:
        return zips[0]
    if not notebooks and not zips and len(folders) == 1:
        return locate(folders[0])
    return folder  # let the grader say what is wrong with it


def run(root):
    """Grade root/submission into root/results/results.json (what run_autograder
    does). Returns the exit status: 1 when the grader itself failed."""
    from ..api import GraderFailed, GradingOptions, grade_one
    from ..report.gradescope import failure_results, results_json, validate
    from ..report.json_report import write_json
    from ..sandbox.outside import probing
    from ..sandbox.outside.tiers import TIER_DESCRIPTIONS
    root = Path(root)
    results_dir = root / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    target = locate(root / "submission")
    print(f"grader: {Path(__file__).parents[1]}; submission: {target}", flush=True)
    status = 0
    try:
        tier = probing.probe(None)
        print(f"autograder: sandbox: {tier} ({TIER_DESCRIPTIONS[tier]})", flush=True)
        results = results_json(grade_one(target, GradingOptions(tier=tier, jobs=1), name="submission"))
    except (GraderFailed, RuntimeError, ValueError) as failure:
        results, status = failure_results(f"the grader failed: {failure}"), 1
    validate(results)
    write_json(results_dir / "results.json", results)
    print(f"score: {results['score']:g}", flush=True)
    return status
