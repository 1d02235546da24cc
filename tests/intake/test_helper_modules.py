"""Are a submission's own helper modules, beside the contract files, graded with it?

Real assignments ship helpers (`rnn_layers.py`, `utils.py`): other top-level
`.py` files in the submission's folder, or beside the contract files in a
zip. They are copied into the prepared folder (within the size limits, at
most MAX_HELPERS) and importable in the worker, and only they: a file whose
name is no module name or would shadow the standard library, NumPy, CuPy or
the grader's own modules is left out, and an import that then fails says
why. Graded whole through the command line (the reference solution's code
moved into helpers must earn full marks), and prepare() and the worker's
import guard on their own.
"""
import json
import os
import zipfile
from pathlib import Path

import pytest

from autograder import contract, intake, release
from autograder.intake import files as intake_files, folders, helpers as intake_helpers
from autograder.sandbox.inside import confine, worker as inside_worker
from autograder.sandbox.outside import tiers

try:
    from corpus.materialize import solution_copy
except ModuleNotFoundError:  # tests/ became a package
    from tests.corpus.materialize import solution_copy

RNN = contract.module_of("rnn_forward")
GRU_FUNCTIONS = [f for f, (module, _) in contract.FUNCTIONS.items() if module == "gru"]
# sequences.py imports the GRU's passes: a gru.py that fails to import takes it down too.
GRU_AND_ITS_IMPORTERS = GRU_FUNCTIONS + [f for f, (module, _) in contract.FUNCTIONS.items() if module == "sequences"]


def split_into_helpers(dest):
    """The solution copy with its code moved into helpers: rnn.py and activations.py re-export
    `rnn_layers` and `utils`, which in turn import what they need by plain module name."""
    files = solution_copy()
    dest.mkdir(parents=True)
    (dest / "utils.py").write_text(files["activations.py"])
    (dest / "activations.py").write_text("from utils import *  # noqa: F403\nfrom utils import array_module\n")
    (dest / "rnn_layers.py").write_text(files["rnn.py"].replace("from activations import", "from utils import"))
    (dest / f"{RNN}.py").write_text("from rnn_layers import *  # noqa: F403\n")
    for name in ("lstm.py", "gru.py", "sequences.py"):
        (dest / name).write_text(files[name])
    return dest


def zipped(folder, path, extra=()):
    """`folder` zipped as a file manager does (the folder inside), plus `extra` (name, text) entries."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, f"{folder.name}/{file.name}")
        for name, text in extra:
            archive.writestr(name, text)
    return path


def with_gru(dest, gru, helper=None):
    """The solution copy with `gru` as its gru.py; helper: (file name, text) beside it."""
    dest.mkdir(parents=True)
    for name, text in solution_copy().items():
        (dest / name).write_text(gru if name == "gru.py" else text)
    if helper:
        (dest / helper[0]).write_text(helper[1])
    return dest


@pytest.fixture(scope="module")
def batch(tmp_path_factory, grading):
    """A folder and a zip whose code lives in helpers, a shadowing helper and a missing one: one CLI call."""
    work = tmp_path_factory.mktemp("helpers")
    gru = solution_copy()["gru.py"]
    paths = [
        split_into_helpers(work / "helpers_folder"),
        zipped(split_into_helpers(work / "zip_src" / "helpers_zip"), work / "helpers_zip.zip",
               extra=[("helpers_zip/tests/test_mine.py", "import pytest\n"), ("elsewhere.py", "raise SystemExit\n")]),
        # gru.py takes its functions from its own numbers.py, which would shadow the standard library's
        with_gru(work / "shadowing_helper", f"from numbers import {', '.join(GRU_FUNCTIONS)}  # noqa: F401\n",
                 helper=("numbers.py", gru)),
        with_gru(work / "missing_helper", "import rnn_layers  # noqa: F401\n" + gru),
    ]
    return grading.grade_cli(paths, work / "out")


def failed(report):
    return {t["key"] + t["number"]: t["output"] for t in report["tests"] if t["status"] == "failed"}


@pytest.mark.parametrize("name", ["helpers_folder", "helpers_zip"])
def test_code_in_helper_modules_earns_full_marks(batch, name):
    """The reference solution with its activations and RNN in utils.py and rnn_layers.py: full marks?"""
    assert batch.returncode == 0, batch.stderr[-3000:]
    report = batch.report(name)
    assert report["score"] == report["max_score"] == 100, failed(report)


def test_a_helper_that_shadows_the_standard_library_is_left_out_saying_so(batch):
    """numbers.py holds the GRU: do exactly the tests of the GRU and of what imports it fail, saying that
    numbers.py was not included and why?"""
    report = batch.report("shadowing_helper")
    graded = [t for t in report["tests"] if t["outcome"] != "skipped"]
    assert not [t["key"] for t in graded
                if (t["status"] == "failed") != bool(set(t["tags"]) & set(GRU_AND_ITS_IMPORTERS))]
    for output in failed(report).values():
        assert "cannot import name 'gru_step_forward' from 'numbers'" in output
        assert "numbers.py was not included in your submission: its name shadows the standard library's " \
               "numbers module (rename it)" in output


def test_a_missing_helper_is_named_as_missing(batch):
    report = batch.report("missing_helper")
    outputs = failed(report).values()
    assert outputs and all("No module named 'rnn_layers': your submission has no rnn_layers.py beside the "
                           "contract files" in output for output in outputs)
    assert all(set(t["tags"]) & set(GRU_AND_ITS_IMPORTERS) for t in report["tests"] if t["status"] == "failed")


# ---------------------------------------------------------------- prepare() on its own

def manifest(dest):
    return json.loads((dest / intake.MANIFEST).read_text())


def test_prepare_copies_helpers_and_refuses_what_would_shadow(tmp_path):
    """Which helper files are copied, and which are left out, each with its reason?"""
    source = tmp_path / "source"
    source.mkdir()
    for name, text in solution_copy().items():
        (source / name).write_text(text)
    for name in ("layers.py", "_private.py", "random.py", "numpy.py", "cupy.py", "standin.py", "cupy_device.py",
                 "_notebook.py", "my-utils.py", "class.py", "2d.py", "notes.txt"):
        (source / name).write_text("X = 1\n")
    (source / "big.py").write_text("#" * (intake_files.MAX_FILE_BYTES + 1))
    (source / "linked.py").symlink_to(source / "layers.py")
    os.mkfifo(source / "pipe.py")
    (source / "folder.py").mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    assert intake.prepare(source, dest) == sorted(contract.MODULES)
    found = manifest(dest)
    assert found["helpers"] == ["_private", "layers"]
    assert sorted(p.name for p in dest.iterdir()) == sorted(
        [f"{m}.py" for m in contract.MODULES] + ["_private.py", "layers.py", intake.MANIFEST])
    refused = found["refused"]
    assert refused == {
        "random.py": "its name shadows the standard library's random module (rename it)",
        "numpy.py": "its name shadows NumPy (rename it)",
        "cupy.py": "its name shadows CuPy (rename it)",
        "standin.py": "its name is reserved for the grader's own module (rename it)",
        "cupy_device.py": "its name is reserved for the grader's own module (rename it)",
        "_notebook.py": "its name is reserved for the grader's own module (rename it)",
        "my-utils.py": refused["class.py"], "class.py": refused["2d.py"],
        "2d.py": "its name is not a valid module name (letters, digits and underscores; rename it)",
        "big.py": "it is larger than 2 MiB",
        "linked.py": "it is a symbolic link",
        "pipe.py": "it is not a regular file", "folder.py": "it is not a regular file",
    }
    assert intake.worker_fields(dest) == {"helpers": ("_private", "layers"), "refused": tuple(sorted(refused.items()))}


def test_prepare_copies_at_most_max_helpers(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    (source / "rnn.py").write_text("")
    for i in range(intake_helpers.MAX_HELPERS + 3):
        (source / f"helper_{i:02d}.py").write_text("")
    dest = tmp_path / "dest"
    dest.mkdir()
    intake.prepare(source, dest)
    found = manifest(dest)
    assert found["helpers"] == [f"helper_{i:02d}" for i in range(intake_helpers.MAX_HELPERS)]
    assert sorted(found["refused"]) == [f"helper_{i:02d}.py" for i in range(intake_helpers.MAX_HELPERS,
                                                                            intake_helpers.MAX_HELPERS + 3)]
    assert all("at most 20 helper modules" in why for why in found["refused"].values())


def test_a_zips_helpers_are_those_beside_its_contract_files(tmp_path):
    """Only .py entries in the zip's folder that holds the contract files: not those elsewhere in the zip."""
    path = tmp_path / "sub.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("sub/rnn.py", "from layers import *\n")
        archive.writestr("sub/layers.py", "X = 1\n")
        archive.writestr("sub/tests/test_layers.py", "import pytest\n")
        archive.writestr("other.py", "X = 2\n")
        archive.writestr("__MACOSX/sub/._layers.py", b"\x00\x05")
    dest = tmp_path / "dest"
    dest.mkdir()
    intake.prepare(path, dest)
    assert manifest(dest) == {"helpers": ["layers"], "refused": {}}
    assert (dest / "layers.py").read_text() == "X = 1\n" and not (dest / "other.py").exists()


def test_a_notebooks_helpers_are_those_beside_it(tmp_path, grading):
    source = tmp_path / "source"
    source.mkdir()
    grading.write_notebook(grading.REFERENCE_SOLUTION, source / "work.ipynb")
    (source / "layers.py").write_text("X = 1\n")
    dest = tmp_path / "dest"
    dest.mkdir()
    intake.prepare(source, dest)
    assert manifest(dest)["helpers"] == ["layers"] and (dest / "_notebook.py").exists()


def test_a_folder_prepared_elsewhere_has_no_helpers(tmp_path):
    assert intake.worker_fields(tmp_path) == {}


# ---------------------------------------------------------------- the worker's side

def guard(helpers=(), refused=None):
    return confine.ImportGuard(["numpy", "cupy"], contract.MODULES, helpers, refused)


def test_the_import_guard_allows_exactly_the_helpers_copied():
    allow = guard(helpers=["layers"], refused={"random.py": "its name shadows the standard library's random module"})
    for name in ("layers", "layers.sub", "numpy.linalg", "rnn", "json", "_notebook"):
        assert allow.find_spec(name) is None, name
    with pytest.raises(ModuleNotFoundError, match=r"^No module named 'utils': your submission has no utils.py "
                                                  r"beside the contract files, and only numpy"):
        allow.find_spec("utils")
    with pytest.raises(ModuleNotFoundError, match=r"^No module named 'torch'"):
        allow.find_spec("torch.nn")


def test_the_import_guard_says_why_a_helper_was_left_out():
    allow = guard(refused={"big_tables.py": "it is larger than 2 MiB"})
    with pytest.raises(ModuleNotFoundError, match=r"^No module named 'big_tables': big_tables.py was not included "
                                                  r"in your submission: it is larger than 2 MiB$"):
        allow.find_spec("big_tables")


def test_the_worker_takes_the_contract_modules_from_the_grader():
    """One list of contract modules (contract.MODULES): sent to the worker in its config, used by the release."""
    assert not hasattr(inside_worker, "MODULES")
    spec = tiers.WorkerSpec(Path("/nowhere"), Path("/nowhere"), helpers=("layers",), refused=(("a.py", "why"),))
    config = tiers.worker_config(spec)
    assert (config["modules"], config["helpers"], config["refused"]) == (list(contract.MODULES), ["layers"],
                                                                         {"a.py": "why"})
    assert release.MODULES is contract.MODULES and folders.MODULES is contract.MODULES
