"""The student release (autograder/release.py): stubs, examples and public tests."""
import inspect
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograder import release

ROOT = release.ROOT
ASSIGNMENTS = ROOT / "assignments"
SUBMISSIONS = ROOT / "examples" / "submissions"

# Section 1 of the contract: every function students implement, by file.
CONTRACT_FUNCTIONS = {
    "activations": ["sigmoid", "sigmoid_prime", "tanh", "tanh_prime"],
    "rnn": ["rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward", "clip_gradients"],
    "lstm": ["forget_gate", "input_gate", "input_node", "output_gate", "cell_state", "hidden_state",
             "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
             "bilstm_forward", "bilstm_backward", "stacked_lstm_forward", "stacked_lstm_backward"],
    "gru": ["gru_step_forward", "gru_step_backward", "gru_forward", "gru_backward"],
    "sequences": ["encode", "embed", "rnn_gradient_norms", "lstm_gradient_norms", "gru_gradient_norms"],
}
ALL_FUNCTIONS = [(module, name) for module, names in CONTRACT_FUNCTIONS.items() for name in names]


@pytest.fixture(scope="module")
def public():
    """The public test file as a module (for its load_modules)."""
    return release._public_tests_module(ASSIGNMENTS / "test_public.py")


@pytest.fixture(scope="module")
def stubs(public):
    return public.load_modules(ASSIGNMENTS)


@pytest.fixture(scope="module")
def reference(public):
    return public.load_modules(ROOT / "reference")


def run_public_tests(student_dir, tmp_path):
    """Run assignments/test_public.py on `student_dir` in a fresh pytest; returns (exit code, output)."""
    ini = tmp_path / "pytest.ini"
    ini.write_text("[pytest]\n")  # keep the repository's pytest settings out of it
    env = dict(os.environ, STUDENT_DIR=str(student_dir), PYTHONDONTWRITEBYTECODE="1")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--tb=short", "-p", "no:cacheprovider",
         "-c", str(ini), "--rootdir", str(tmp_path), str(ASSIGNMENTS / "test_public.py")],
        capture_output=True, text=True, env=env, timeout=300)
    return result.returncode, result.stdout + result.stderr


# The committed release

def test_committed_release_is_what_the_generator_writes():
    """Are assignments/ and the two example submissions in sync with reference/?"""
    stale = release.check_in_sync()
    assert not stale, f"out of date (run `make release`): {stale}"


def test_generator_is_deterministic(tmp_path):
    """Does writing the release twice give the same bytes?"""
    kwargs = dict(assignments_dir=tmp_path / "a", examples_dir=tmp_path / "e")
    assert release.main(**kwargs) == 0
    first = {p: p.read_bytes() for p in sorted(tmp_path.rglob("*")) if p.is_file()}
    assert release.main(**kwargs) == 0
    assert release.check_in_sync(**kwargs) == []
    assert {p: p.read_bytes() for p in sorted(tmp_path.rglob("*")) if p.is_file()} == first


def test_check_in_sync_names_a_changed_file(tmp_path):
    """Does check_in_sync report a generated file edited by hand?"""
    kwargs = dict(assignments_dir=tmp_path / "a", examples_dir=tmp_path / "e")
    release.main(**kwargs)
    (tmp_path / "a" / "rnn.py").write_text("# edited\n")
    (tmp_path / "e" / "submissions" / "blank_release" / "gru.py").unlink()
    stale = release.check_in_sync(**kwargs)
    assert sorted(Path(p).name for p in stale) == ["gru.py", "rnn.py"]


def test_blank_release_is_the_stubs():
    """Is blank_release exactly what students receive?"""
    for module in CONTRACT_FUNCTIONS:
        assert (SUBMISSIONS / "blank_release" / f"{module}.py").read_bytes() == \
            (ASSIGNMENTS / f"{module}.py").read_bytes()


def test_stubs_hold_no_solution_code():
    """Is the stub of every reference file free of markers and of the solutions' private helpers?"""
    for module in CONTRACT_FUNCTIONS:
        stub = (ASSIGNMENTS / f"{module}.py").read_text(encoding="utf-8")
        assert "SOLUTION" not in stub
        for name in ("_cell_forward", "_stacked_weights", "NamedTuple", "_step("):
            assert name not in stub, f"{module}.py stub contains {name}"


# The stubs

@pytest.mark.parametrize("module, name", ALL_FUNCTIONS)
def test_stub_has_the_reference_signature(module, name, stubs, reference):
    """Does every contract function exist in the stubs, with the reference's signature?"""
    stub = getattr(stubs[module], name, None)
    assert callable(stub), f"{module}.py stub lacks {name}"
    assert inspect.signature(stub) == inspect.signature(getattr(reference[module], name))
    assert inspect.getdoc(stub) == inspect.getdoc(getattr(reference[module], name))


@pytest.mark.parametrize("module, name", ALL_FUNCTIONS)
def test_stub_raises_not_implemented(module, name, stubs):
    """Does every stub function raise NotImplementedError naming itself?"""
    function = getattr(stubs[module], name)
    required = [p for p in inspect.signature(function).parameters.values()
                if p.default is inspect.Parameter.empty]
    with pytest.raises(NotImplementedError, match=f"^{name}: not implemented yet"):
        function(*[None] * len(required))


def test_readme_names_every_function():
    """Does the students' README mention every function they must write?"""
    readme = (ASSIGNMENTS / "README.md").read_text(encoding="utf-8")
    missing = [name for _, name in ALL_FUNCTIONS if f"`{name}`" not in readme]
    assert not missing


def test_reference_solution_is_the_reference_without_markers():
    """Does reference_solution differ from reference/ only by the marker lines?"""
    for module in CONTRACT_FUNCTIONS:
        source = (ROOT / "reference" / f"{module}.py").read_text(encoding="utf-8")
        kept = [line for line in source.splitlines() if "### BEGIN SOLUTION" not in line
                and "### END SOLUTION" not in line]
        solution = (SUBMISSIONS / "reference_solution" / f"{module}.py").read_text(encoding="utf-8")
        assert solution.splitlines() == kept


# strip_solutions on small inputs

def test_function_region_becomes_a_raise_naming_the_function():
    """Is a region in a function body replaced by a raise at the body's indentation?"""
    source = (
        'def f(x):\n'
        '    """Doc."""\n'
        '    ### BEGIN SOLUTION\n'
        '    y = x + 1\n'
        '    return y\n'
        '    ### END SOLUTION\n'
    )
    assert release.strip_solutions(source) == (
        'def f(x):\n'
        '    """Doc."""\n'
        '    raise NotImplementedError("f: not implemented yet (replace this line with your code)")\n'
    )


def test_region_in_a_method_or_nested_block_names_the_innermost_function():
    """Is the raise named after the innermost function and placed at the region's indentation?"""
    source = (
        "class A:\n"
        "    def method(self):\n"
        "        if True:\n"
        "            ### BEGIN SOLUTION\n"
        "            return 1\n"
        "            ### END SOLUTION\n"
        "        return 2\n"
    )
    stub = release.strip_solutions(source)
    assert '            raise NotImplementedError("method: not implemented' in stub
    assert stub.endswith("        return 2\n")


def test_code_outside_regions_is_kept():
    """Are the code before and after a region, and the blank lines, untouched?"""
    source = "def f(x):\n    a = 1\n\n    ### BEGIN SOLUTION\n    a = 2\n    ### END SOLUTION\n    return a\n"
    assert release.strip_solutions(source) == (
        "def f(x):\n    a = 1\n\n"
        '    raise NotImplementedError("f: not implemented yet (replace this line with your code)")\n'
        "    return a\n"
    )


def test_module_region_is_removed_leaving_tidy_blank_lines():
    """Is a module-level region removed, with at most two blank lines where it was?"""
    source = (
        '"""Doc."""\n'
        "### BEGIN SOLUTION\n"
        "from typing import NamedTuple\n"
        "### END SOLUTION\n"
        "\n"
        "import os\n"
        "\n"
        "\n"
        "### BEGIN SOLUTION\n"
        "class Cache(NamedTuple):\n"
        "    x: object\n"
        "### END SOLUTION\n"
        "\n"
        "\n"
        "def f():\n"
        "    pass\n"
        "\n"
        "\n"
        "### BEGIN SOLUTION\n"
        "def _helper():\n"
        "    pass\n"
        "### END SOLUTION\n"
    )
    assert release.strip_solutions(source) == '"""Doc."""\n\nimport os\n\n\ndef f():\n    pass\n'


def test_source_without_regions_is_unchanged():
    """Is a file with no regions returned as it was?"""
    source = "x = 1\n\n\n\n\ny = 2\n"
    assert release.strip_solutions(source) == source
    assert release.solution_only(source) == source


def test_solution_only_removes_just_the_markers():
    """Does solution_only keep every line but the two markers?"""
    source = "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n"
    assert release.solution_only(source) == "def f():\n    return 1\n"


@pytest.mark.parametrize("source, problem", [
    ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", "never closed"),
    ("def f():\n    return 1\n    ### END SOLUTION\n", "without a BEGIN"),
    ("def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    return 1\n"
     "    ### END SOLUTION\n    ### END SOLUTION\n", "inside the region"),
    ("def f():\n    ## BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n", "malformed"),
    ("def f():\n    ### BEGIN SOLUTION\n    return 1\ndef g():\n    ### END SOLUTION\n", "leaves its block"),
    ("if True:\n    ### BEGIN SOLUTION\n    x = 1\n    ### END SOLUTION\n", "inside a function"),
])
def test_bad_markers_raise_value_error(source, problem):
    """Are unbalanced, nested, malformed and misplaced markers a clear ValueError?"""
    with pytest.raises(ValueError, match=problem):
        release.strip_solutions(source)


def test_main_reports_a_bad_marker_and_writes_nothing(tmp_path, capsys):
    """Does main fail with the file's name, and leave no half-written release?"""
    reference = tmp_path / "reference"
    shutil.copytree(ROOT / "reference", reference)
    rnn = reference / "rnn.py"
    rnn.write_text(rnn.read_text(encoding="utf-8").replace("### END SOLUTION", "", 1), encoding="utf-8")
    code = release.main(reference_dir=reference, assignments_dir=tmp_path / "a", examples_dir=tmp_path / "e")
    assert code == 1
    assert "rnn.py" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()


# The public tests

def test_public_tests_pass_on_the_reference_solution(tmp_path):
    """Does a complete, correct submission pass every public test?"""
    code, output = run_public_tests(SUBMISSIONS / "reference_solution", tmp_path)
    assert code == 0, output
    assert "passed" in output and "failed" not in output


def test_public_tests_say_not_implemented_on_the_blank_release(tmp_path):
    """Does an untouched release fail with one short 'not implemented yet' per function?"""
    code, output = run_public_tests(SUBMISSIONS / "blank_release", tmp_path)
    assert code == 1
    assert "Traceback" not in output and "During handling" not in output
    for _, name in ALL_FUNCTIONS:
        assert f"\n{name}: not implemented yet" in output or f"\n{name}: not checked yet" in output, name
    assert "rnn_step_backward: not checked yet, because rnn_step_forward" in output
    assert "34 failed" in output


def test_public_tests_show_where_a_wrong_value_is(tmp_path):
    """Does a wrong value name the function, the output, the index, got and expected, and a hint?"""
    student = tmp_path / "student"
    shutil.copytree(SUBMISSIONS / "reference_solution", student)
    rnn = student / "rnn.py"
    source = rnn.read_text(encoding="utf-8")
    assert '"b_h": da.sum(axis=0)' in source  # the line the bug goes into
    rnn.write_text(source.replace('"b_h": da.sum(axis=0)', '"b_h": 2 * da.sum(axis=0)'), encoding="utf-8")
    code, output = run_public_tests(student, tmp_path)
    assert code == 1
    assert "rnn_step_backward: grads['b_h'] is wrong at" in output
    assert "largest difference at grads['b_h'][" in output
    assert "got " in output and "expected " in output and "HINT: " in output
    assert "1 failed" in output


def test_public_tests_catch_a_modified_argument_and_a_wrong_dtype(tmp_path):
    """Are an argument changed in place and a float64 result for float32 inputs reported?"""
    student = tmp_path / "student"
    shutil.copytree(SUBMISSIONS / "reference_solution", student)
    activations = student / "activations.py"
    source = activations.read_text(encoding="utf-8")
    head, tanh_prime = source.split("def tanh_prime", 1)
    tanh_prime = tanh_prime.replace("    xp = array_module(z)\n", "    xp = array_module(z)\n    z += 1.0\n", 1)
    assert "z += 1.0" in tanh_prime, "tanh_prime changed shape: update this test's edit"
    source = head + "def tanh_prime" + tanh_prime
    source = source.replace("return array_module(z).tanh(z)", "return array_module(z).tanh(z.astype('float64'))")
    activations.write_text(source, encoding="utf-8")
    code, output = run_public_tests(student, tmp_path)
    assert code == 1
    assert "tanh_prime: modified its argument z in place" in output
    assert "tanh: for float32 inputs out is float64" in output


def test_public_tests_report_a_missing_file(tmp_path):
    """Is a missing file reported per function, without a traceback?"""
    student = tmp_path / "student"
    shutil.copytree(SUBMISSIONS / "reference_solution", student)
    (student / "gru.py").unlink()
    code, output = run_public_tests(student, tmp_path)
    assert code == 1
    assert "gru_forward: there is no gru.py in" in output
    # sequences.py imports the GRU's passes: from the stub beside test_public.py here, which says so
    assert ("gru_gradient_norms: not checked yet, because gru_forward (which this check calls) is not "
            f"implemented yet (in {ASSIGNMENTS / 'gru.py'}, imported because gru.py is not in your folder)") in output
    assert "5 failed" in output and "Traceback" not in output


def wrong_case(name, dest):
    """The corpus's wrong case `name`, written into dest."""
    from tests.corpus.materialize import load_wrong_cases, materialize_wrong
    return materialize_wrong(next(case for case in load_wrong_cases() if case.name == name), dest)


def test_public_tests_end_with_the_function_to_fix_first(tmp_path):
    """Does one wrong gate, which fails every pass built on it, lead the student to the gate?"""
    code, output = run_public_tests(wrong_case("parts_forget_gate_tanh", tmp_path / "student"), tmp_path)
    assert code == 1 and "11 failed" in output
    assert output.rstrip().splitlines()[-1] == (
        "Start here: forget_gate; 10 other failures may follow from it: fix it first, then run the tests again.")


def test_public_tests_name_each_root_cause_in_turn(tmp_path):
    """With two independent mistakes, is the one more failures follow from named first?"""
    student = wrong_case("parts_tanh_prime_of_output", tmp_path / "student")
    gru = student / "gru.py"
    gru.write_text(gru.read_text(encoding="utf-8").replace('"b_z"]', '"b_z"] + 1', 1), encoding="utf-8")
    code, output = run_public_tests(student, tmp_path)
    last = output.rstrip().splitlines()[-2:]
    assert last[0].startswith("Start here: tanh_prime; ") and last[1].startswith("Then: gru_step_forward; ")


def test_public_tests_name_no_root_cause_when_none_is_shared(tmp_path):
    """A lone failure, or none at all, has nothing following from it: no 'Start here'."""
    student = tmp_path / "student"
    shutil.copytree(SUBMISSIONS / "reference_solution", student)
    lstm = student / "lstm.py"
    lstm.write_text(lstm.read_text(encoding="utf-8").replace(
        'return sigmoid(x @ params["W_xf"]', 'return tanh(x @ params["W_xf"]', 1), encoding="utf-8")
    code, output = run_public_tests(student, tmp_path)
    assert code == 1 and "1 failed" in output and "Start here" not in output
    code, output = run_public_tests(SUBMISSIONS / "reference_solution", tmp_path)
    assert code == 0 and "Start here" not in output


@pytest.mark.parametrize("given", ["the notebook", "its folder"])
def test_public_tests_take_a_notebook(given, tmp_path):
    """Does a student who works in Jupyter get the checks of their notebook's functions?"""
    notebook = tmp_path / "work" / "my work.ipynb"
    notebook.parent.mkdir()
    shutil.copy(SUBMISSIONS / "bob.ipynb", notebook)  # PyTorch's GRU convention
    code, output = run_public_tests(notebook if given == "the notebook" else notebook.parent, tmp_path)
    assert code == 1 and "5 failed, 29 passed" in output, output
    assert "gru_step_forward: h is wrong at" in output
    assert output.rstrip().splitlines()[-1].startswith("Start here: gru_step_forward; 4 other failures")


def notebook_of(*cells):
    return json.dumps({"cells": [{"cell_type": "code", "source": cell, "metadata": {}, "outputs": []}
                                 for cell in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def test_public_tests_run_a_notebook_as_the_grader_does(tmp_path):
    """Magics and shell escapes are left out, and an error names the notebook's cell and line."""
    notebook = tmp_path / "work.ipynb"
    notebook.write_text(notebook_of(["%matplotlib inline\n", "!pip install nothing\n", "import numpy as np\n"],
                                    "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n",
                                    "sigmoid(np.zeros(2)) / 0.0\nundefined_name\n"), encoding="utf-8")
    code, output = run_public_tests(notebook, tmp_path)
    assert code == 1 and "34 failed" in output and "Traceback" not in output
    assert "sigmoid: your notebook work.ipynb raised NameError when run: name 'undefined_name' is not defined" in output
    assert "work.ipynb [cell 3], line 2, in <module>: undefined_name" in output


def test_public_tests_say_when_a_notebook_cannot_be_read(tmp_path):
    notebook = tmp_path / "work.ipynb"
    notebook.write_text('{"cells": [', encoding="utf-8")
    code, output = run_public_tests(notebook, tmp_path)
    assert code == 1 and "34 failed" in output and "Traceback" not in output
    assert "sigmoid: work.ipynb is not a Jupyter notebook that can be read" in output


def test_public_tests_ask_which_notebook_when_a_folder_holds_several(tmp_path):
    for name in ("a.ipynb", "b.ipynb"):
        (tmp_path / "work").mkdir(exist_ok=True)
        (tmp_path / "work" / name).write_text(notebook_of("x = 1\n"), encoding="utf-8")
    code, output = run_public_tests(tmp_path / "work", tmp_path)
    assert code == 1 and "it holds 2 notebooks: name yours, make check STUDENT=path/to/it.ipynb" in output


# The module lists and the students' picture

def test_every_list_of_modules_is_the_contracts():
    """Do the release and the public tests list exactly the contract's modules, in its order?
    (The worker, which imports nothing of the grader, is sent them in its config.)"""
    from autograder import contract
    assert contract.MODULES == tuple(CONTRACT_FUNCTIONS)
    assert release.MODULES == contract.MODULES
    assert release._public_tests_module(ASSIGNMENTS / "test_public.py").MODULES == contract.MODULES


def png_text(path):
    """The tEXt chunks of a PNG file: {keyword: text}."""
    import struct
    data, chunks, at = Path(path).read_bytes(), {}, 8
    while at < len(data):
        (length,), kind = struct.unpack(">I", data[at:at + 4]), data[at + 4:at + 8]
        if kind == b"tEXt":
            keyword, _, text = data[at + 8:at + 8 + length].partition(b"\0")
            chunks[keyword.decode("latin-1")] = text.decode("latin-1")
        at += 12 + length
    return chunks


@pytest.fixture(scope="module")
def plot_script():
    """assignments/plot_gradient_reach.py as a module (it needs matplotlib only to draw)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("_plot_gradient_reach", ASSIGNMENTS / "plot_gradient_reach.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reference_norms(plot_script):
    """The norms the picture shows, computed again by the reference (reference/ imported in isolation)."""
    saved = {name: sys.modules.pop(name) for name in CONTRACT_FUNCTIONS if name in sys.modules}
    path = list(sys.path)
    try:
        return plot_script.gradient_norms(plot_script.load_sequences(ROOT / "reference"))
    finally:
        sys.path[:] = path
        for name in CONTRACT_FUNCTIONS:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


def test_committed_picture_shows_what_the_reference_computes(plot_script):
    """Does assignments/gradient_reach.png hold the norms that the script and the reference give now
    (else `make release` draws it again)?"""
    import json
    shown = json.loads(png_text(ASSIGNMENTS / "gradient_reach.png")["Description"])
    norms, T = reference_norms(plot_script)
    assert sorted(shown) == sorted(norms), "out of date: run `make release`"
    for cell, g in norms.items():
        assert len(shown[cell]) == T
        np.testing.assert_allclose(shown[cell], g, rtol=1e-5, err_msg=f"{cell}: out of date, run `make release`")


def test_the_review_shows_the_lesson(plot_script):
    """Is the review about 150 words, and does the reference's RNN forget its first word (by 20 orders of
    magnitude and more) while the LSTM and the GRU keep it (within a factor of 100)?"""
    norms, T = reference_norms(plot_script)
    assert 140 <= T <= 180 and T == len(plot_script.REVIEW.split())
    ratio = {cell: plot_script.first_to_last(g) for cell, g in norms.items()}
    assert ratio["rnn"] < 1e-20, ratio
    assert ratio["lstm"] > 1e-2 and ratio["gru"] > 1e-2, ratio


def test_plot_script_runs_on_the_reference_and_on_the_blank_release(tmp_path):
    """Does `make plot` save a PNG for a finished sequences.py, and say "finish Part 8 first" for the stubs?"""
    pytest.importorskip("matplotlib", reason="matplotlib is the plot extra (pip install -e '.[plot]')")
    script = ASSIGNMENTS / "plot_gradient_reach.py"
    done = subprocess.run([sys.executable, str(script), "--from", str(SUBMISSIONS / "reference_solution"),
                           "--out", str(tmp_path / "reach.png")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "reach.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "first word / norm at the last" in done.stdout
    blank = subprocess.run([sys.executable, str(script), "--from", str(SUBMISSIONS / "blank_release"),
                            "--out", str(tmp_path / "blank.png")], capture_output=True, text=True, timeout=120)
    assert blank.returncode == 1 and "finish Part 8 first" in blank.stderr
    assert not (tmp_path / "blank.png").exists()
