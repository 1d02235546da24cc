"""Turn the corpus into submission folders the grader can grade.

The corpus holds two kinds of submission, both defined against the hidden
reference so that nothing is written twice:

- wrong cases (`wrong.toml`): one realistic student mistake each, written as
  find/replace edits of the *solution copy* (reference/ with its
  `### BEGIN SOLUTION` / `### END SOLUTION` marker lines deleted), or of a
  correct solution named as the case's `base`;
- correct solutions (`correct/<name>/`): folders holding only the files they
  rewrite; the other files come from the solution copy.

Either way `materialize_*` writes a complete five-file submission folder.
`import_submission` loads such a folder in isolation (every submission
defines top-level modules named activations, rnn, lstm, gru and sequences).
"""
from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

CORPUS_DIR = Path(__file__).resolve().parent
WRONG_TOML = CORPUS_DIR / "wrong.toml"
CORRECT_DIR = CORPUS_DIR / "correct"
REFERENCE_DIR = CORPUS_DIR.parent.parent / "reference"

SUBMISSION_FILES = ("activations.py", "rnn.py", "lstm.py", "gru.py", "sequences.py")
MODULE_NAMES = tuple(f[:-3] for f in SUBMISSION_FILES)
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


class CorpusError(ValueError):
    """The corpus does not fit the reference (a find that is not there, a bad field)."""


@dataclass(frozen=True)
class Edit:
    """Replace the one occurrence of `find` in `file` by `replace`."""
    file: str
    find: str
    replace: str


@dataclass(frozen=True)
class WrongCase:
    """One deliberately wrong submission."""
    name: str
    """Unique snake_case name; also the submission folder's name."""
    mistake_in: str
    """The contract function that holds the mistake."""
    affected: tuple
    """Contract functions whose grading tests may lose points."""
    why: str
    """One line a student would recognise."""
    edits: tuple
    """Edits of the solution copy, applied in order."""
    misconception: str = "none"
    """The id of the catalogued mistake it is (autograder/suite/misconceptions.toml), or "none"."""
    base: str = ""
    """The correct solution (correct/<base>/) the edits apply to; "" for the solution copy."""


def solution_copy(reference_dir=REFERENCE_DIR) -> dict:
    """File name -> source of the reference with its marker lines deleted."""
    reference_dir = Path(reference_dir)
    sources = {}
    for name in SUBMISSION_FILES:
        lines = (reference_dir / name).read_text(encoding="utf-8").splitlines(keepends=True)
        sources[name] = "".join(l for l in lines if l.strip() not in SOLUTION_MARKERS)
    return sources


def _edits_of(entry, where):
    """The edits of one [[case]] table: its own triple or its [[case.edit]] list."""
    triple = [k for k in ("file", "find", "replace") if k in entry]
    if "edit" in entry:
        if triple:
            raise CorpusError(f"{where}: give either file/find/replace or [[case.edit]], not both")
        raw = entry["edit"]
    elif len(triple) == 3:
        raw = [entry]
    else:
        raise CorpusError(f"{where}: needs file, find and replace (or a [[case.edit]] list)")
    edits = []
    for i, e in enumerate(raw):
        try:
            edit = Edit(e["file"], e["find"], e["replace"])
        except KeyError as missing:
            raise CorpusError(f"{where}, edit {i}: missing {missing}") from None
        if edit.file not in SUBMISSION_FILES:
            raise CorpusError(f"{where}, edit {i}: unknown file {edit.file!r}")
        edits.append(edit)
    return tuple(edits)


def load_wrong_cases(path=WRONG_TOML) -> list:
    """The wrong cases of wrong.toml, in file order."""
    with open(path, "rb") as f:
        data = tomllib.load(f)
    cases, seen = [], set()
    for i, entry in enumerate(data.get("case", [])):
        where = f"{Path(path).name} case {i} ({entry.get('name', '?')})"
        for key in ("name", "mistake_in", "affected", "why"):
            if key not in entry:
                raise CorpusError(f"{where}: missing {key!r}")
        if entry["name"] in seen:
            raise CorpusError(f"{where}: duplicate name")
        seen.add(entry["name"])
        if entry["mistake_in"] not in entry["affected"]:
            raise CorpusError(f"{where}: affected must include mistake_in")
        cases.append(WrongCase(entry["name"], entry["mistake_in"], tuple(entry["affected"]),
                               entry["why"], _edits_of(entry, where), entry.get("misconception", "none"),
                               entry.get("base", "")))
    return cases


def apply_edits(sources, edits, label="") -> dict:
    """A copy of `sources` with `edits` applied in order; each find must occur exactly once."""
    out = dict(sources)
    for edit in edits:
        count = out[edit.file].count(edit.find)
        if count != 1:
            raise CorpusError(
                f"{label}: find text occurs {count} times in the solution copy of "
                f"{edit.file} (must be exactly once); has reference/{edit.file} changed?\n"
                f"find = {edit.find!r}")
        out[edit.file] = out[edit.file].replace(edit.find, edit.replace)
    return out


def _write(sources, dest_dir) -> Path:
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    for name, text in sources.items():
        (dest / name).write_text(text, encoding="utf-8")
    return dest


def base_sources(case, reference_dir=REFERENCE_DIR) -> dict:
    """File name -> source of what `case` edits: its base solution, or the solution copy."""
    return correct_sources(case.base, reference_dir) if case.base else solution_copy(reference_dir)


def wrong_sources(case, reference_dir=REFERENCE_DIR) -> dict:
    """File name -> source of the wrong submission `case`."""
    return apply_edits(base_sources(case, reference_dir), case.edits, case.name)


def materialize_wrong(case, dest_dir, reference_dir=REFERENCE_DIR) -> Path:
    """Write the complete submission of wrong case `case` into dest_dir."""
    return _write(wrong_sources(case, reference_dir), dest_dir)


def correct_names() -> list:
    """Names of the correct solutions (folders under correct/)."""
    return sorted(p.name for p in CORRECT_DIR.iterdir()
                  if p.is_dir() and any((p / f).is_file() for f in SUBMISSION_FILES))


def correct_sources(name, reference_dir=REFERENCE_DIR) -> dict:
    """File name -> source of correct solution `name`, solution copy where it rewrites nothing."""
    folder = CORRECT_DIR / name
    if not folder.is_dir():
        raise CorpusError(f"no correct solution named {name!r} under {CORRECT_DIR}")
    sources = solution_copy(reference_dir)
    for f in SUBMISSION_FILES:
        if (folder / f).is_file():
            sources[f] = (folder / f).read_text(encoding="utf-8")
    return sources


def materialize_correct(name, dest_dir, reference_dir=REFERENCE_DIR) -> Path:
    """Write the complete submission of correct solution `name` into dest_dir."""
    return _write(correct_sources(name, reference_dir), dest_dir)


def materialize_reference(dest_dir, reference_dir=REFERENCE_DIR) -> Path:
    """Write the solution copy itself as a submission into dest_dir."""
    return _write(solution_copy(reference_dir), dest_dir)


def import_submission(folder) -> dict:
    """Import a submission folder's five modules in isolation: name -> module.

    The folder goes first on sys.path and the five module names are purged
    from sys.modules before and after, so submissions never see each other.
    """
    folder = str(Path(folder).resolve())
    saved = {n: sys.modules.pop(n) for n in MODULE_NAMES if n in sys.modules}
    sys.path.insert(0, folder)
    dont_write = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        importlib.invalidate_caches()
        return {n: importlib.import_module(n) for n in MODULE_NAMES}
    finally:
        sys.dont_write_bytecode = dont_write
        sys.path.remove(folder)
        for n in MODULE_NAMES:
            sys.modules.pop(n, None)
        sys.modules.update(saved)


WRONG_PREFIX, CORRECT_PREFIX, TRIVIAL_PREFIX, WRAPPED_PREFIX = "wrong__", "correct__", "trivial__", "wrapped__"


def materialize_all(dest_dir) -> list:
    """Every submission of the corpus, as folders in dest_dir named by their
    kind's prefix and name (wrong__<case>, correct__<name>, trivial__<kind>);
    returns their paths. A wrong case that no longer applies is left out."""
    from . import trivial, wrapped
    dest = Path(dest_dir)
    paths = []
    for case in load_wrong_cases():
        try:
            paths.append(materialize_wrong(case, dest / f"{WRONG_PREFIX}{case.name}"))
        except CorpusError:
            pass
    paths += [materialize_correct(name, dest / f"{CORRECT_PREFIX}{name}") for name in correct_names()]
    paths += [trivial.materialize(kind, dest / f"{TRIVIAL_PREFIX}{kind}") for kind in trivial.kinds()]
    paths += [wrapped.materialize_wrapped(kind, dest / f"{WRAPPED_PREFIX}{kind}") for kind in wrapped.kinds()]
    return paths


if __name__ == "__main__":  # python -m tests.corpus.materialize DIR: write the whole corpus there
    for written in materialize_all(sys.argv[1]):
        print(written)
