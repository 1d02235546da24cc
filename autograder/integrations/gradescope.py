"""Gradescope: the autograder zip, and what its run_autograder does.

`build(zip_path)` writes the zip Gradescope's "Configure Autograder" page
takes: setup.sh and run_autograder at the top, with the grader (autograder/,
reference/, assignments/) and requirements.txt beside them. Gradescope
unpacks it into /autograder/source, runs setup.sh once to build the image,
then run_autograder once per submission, which runs

    python -m autograder.integrations.gradescope run [--root /autograder]

It grades /autograder/submission (the four files, a notebook, a zip, or one
folder holding them) and writes /autograder/results/results.json: our report
cut down to the fields of Gradescope's specification, the rest (parts,
sandbox) under extra_data. The root is configurable (AUTOGRADER_ROOT for
run_autograder) so that a test can run it on a fake /autograder tree.

    python -m autograder.integrations.gradescope build [--out build/gradescope/autograder.zip]
"""
import argparse
import json
import stat
import sys
import tempfile
import zipfile
from pathlib import Path

from .. import report as report_module
from ..contract import MODULES

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ZIP = ROOT / "build" / "gradescope" / "autograder.zip"
SHIPPED = ("autograder", "reference", "assignments")  # folders of the grader the zip carries
SKIPPED = ("__pycache__", ".pyc", ".hypothesis", ".pytest_cache")
ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # fixed, so that the same sources give the same zip

TEST_FIELDS = ("name", "number", "score", "max_score", "status", "output", "tags", "visibility")

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
exec "$PYTHON" -m autograder.integrations.gradescope run --root "$ROOT"
"""

# Gradescope's results.json, as its specification describes it (the fields we write).
VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
RESULTS_SCHEMA = {
    "type": "object",
    "required": ["score", "tests"],
    "properties": {
        "score": {"type": "number", "minimum": 0},
        "execution_time": {"type": "number", "minimum": 0},
        "output": {"type": "string"},
        "output_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
        "visibility": VISIBILITY,
        "stdout_visibility": VISIBILITY,
        "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": {
            "type": "object",
            "required": ["name", "score", "max_score", "status"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string"}, "number": {"type": "string"},
                "score": {"type": "number", "minimum": 0}, "max_score": {"type": "number", "minimum": 0},
                "status": {"enum": ["passed", "failed"]}, "output": {"type": "string"},
                "tags": {"type": "array", "items": {"type": "string"}}, "visibility": VISIBILITY,
            }}},
    },
    "additionalProperties": False,
}


# --- the zip ----------------------------------------------------------------

def requirements():
    """requirements.txt: the project's dependencies, from pyproject.toml."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return "\n".join(project["dependencies"]) + "\n"


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


def results_json(report):
    """Gradescope's results.json from our report."""
    extra = {key: report[key] for key in ("schema_version", "submission", "max_score", "parts", "sandbox",
                                          "grader_errors", "error") if key in report}
    return {
        "score": report["score"],
        "execution_time": report["execution_time"],
        "output": report["output"],
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [{k: test[k] for k in TEST_FIELDS if k in test} for test in report["tests"]],
        "extra_data": extra,
    }


def failure_results(message):
    """results.json when the grader itself failed: no score, and why."""
    return {"score": 0, "output": f"The autograder itself failed (not your fault; please tell your "
                                  f"instructor):\n{message}", "tests": [], "visibility": "visible",
            "extra_data": {"grader_failed": True}}


def validate(results):
    """Raise jsonschema.ValidationError unless `results` follows Gradescope's specification."""
    import jsonschema
    jsonschema.validate(results, RESULTS_SCHEMA)


def run(root):
    """Grade root/submission into root/results/results.json. Returns the exit status."""
    from .. import cli
    root = Path(root)
    results_dir = root / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    target = locate(root / "submission")
    print(f"grader: {Path(cli.__file__).parent}; submission: {target}", flush=True)
    with tempfile.TemporaryDirectory(prefix="gradescope-") as tmp:
        link = Path(tmp) / ("submission" + (target.suffix if target.is_file() else ""))
        link.symlink_to(target.resolve(), target_is_directory=target.is_dir())
        status = cli.main(["grade", str(link), "--out", str(Path(tmp) / "out"), "--jobs", "1"])
        report_path = Path(tmp) / "out" / "submission.json"
        if status == cli.EXIT_OK and report_path.exists():
            results = results_json(json.loads(report_path.read_text()))
        else:
            results = failure_results(f"`autograder grade` exited with status {status}; see its output")
    validate(results)
    report_module.write_json(results_dir / "results.json", results)
    print(f"score: {results['score']:g}", flush=True)
    return 0 if status == cli.EXIT_OK else 1


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.integrations.gradescope")
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build", help="write the Gradescope autograder zip")
    build_parser.add_argument("--out", default=str(DEFAULT_ZIP), metavar="ZIP")
    run_parser = commands.add_parser("run", help="what run_autograder does: grade ROOT/submission")
    run_parser.add_argument("--root", default="/autograder", metavar="DIR")
    args = parser.parse_args(argv)
    if args.command == "build":
        path = build(args.out)
        print(f"wrote {path} ({path.stat().st_size // 1024} KiB): upload it on Gradescope's "
              f"Configure Autograder page")
        return 0
    return run(args.root)


if __name__ == "__main__":
    sys.exit(main())
