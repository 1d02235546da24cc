"""The catalogue of known mistakes (misconceptions.toml), and each one's mutant:
the reference with the mistake's edits, as a private set of modules.

A mutant is the grader's own code, built from reference/, never a
submission's. Its modules are fresh module objects that are not in
sys.modules: their `from activations import ...` resolves to the mutant's
own siblings, so the grader's real reference modules stay untouched. Each
set is built once per process, when a diagnosis first needs it.
"""
import ast
import builtins
import functools
import types
from dataclasses import dataclass
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from autograder import contract

CATALOGUE = Path(__file__).with_name("misconceptions.toml")
FIELDS = {"id", "function", "title", "explanation", "group", "edit"}


class CatalogueError(ValueError):
    """misconceptions.toml does not fit the reference (a find that is not there, a bad field)."""


@dataclass(frozen=True)
class Edit:
    file: str       # e.g. "lstm.py"
    find: str
    replace: str


@dataclass(frozen=True)
class Mistake:
    """One known mistake: where it is, what to tell the student, and its edits of the reference."""
    id: str
    function: str
    title: str
    explanation: str
    edits: tuple
    group: str = ""

    @property
    def kind(self):
        """The group it belongs to: its own id when it has none."""
        return self.group or self.id

    def as_diagnosis(self):
        return {"id": self.id, "title": self.title, "explanation": self.explanation}


@functools.cache
def catalogue(path=CATALOGUE):
    """The mistakes of misconceptions.toml, in file order."""
    with open(path, "rb") as f:
        entries = tomllib.load(f).get("mistake", [])
    mistakes, seen = [], set()
    files = {f"{module}.py" for module in contract.MODULES}
    for i, entry in enumerate(entries):
        where = f"{Path(path).name} mistake {i} ({entry.get('id', '?')})"
        unknown = set(entry) - FIELDS
        missing = {"id", "function", "title", "explanation", "edit"} - set(entry)
        if unknown or missing:
            raise CatalogueError(f"{where}: unknown fields {sorted(unknown)}, missing {sorted(missing)}")
        if entry["id"] in seen:
            raise CatalogueError(f"{where}: duplicate id")
        if entry["function"] not in contract.FUNCTIONS:
            raise CatalogueError(f"{where}: {entry['function']!r} is not a contract function")
        edits = tuple(Edit(e["file"], e["find"], e["replace"]) for e in entry["edit"])
        if not edits or any(edit.file not in files for edit in edits):
            raise CatalogueError(f"{where}: needs edits, each of one of {sorted(files)}")
        seen.add(entry["id"])
        mistakes.append(Mistake(entry["id"], entry["function"], entry["title"], entry["explanation"], edits,
                                entry.get("group", "")))
    return tuple(mistakes)


@functools.cache
def by_id():
    return {mistake.id: mistake for mistake in catalogue()}


# --- sources and modules ------------------------------------------------------

@functools.cache
def reference_sources(folder):
    """File name -> the reference's source text, as it is in `folder`."""
    return {f"{module}.py": (Path(folder) / f"{module}.py").read_text(encoding="utf-8")
            for module in contract.MODULES}


def mutated_sources(folder, mistake):
    """File name -> source: the reference's with `mistake`'s edits applied in order."""
    sources = dict(reference_sources(folder))
    for edit in mistake.edits:
        count = sources[edit.file].count(edit.find)
        if count != 1:
            raise CatalogueError(f"{mistake.id}: find text occurs {count} times in reference/{edit.file} "
                                 f"(must be exactly once): {edit.find!r}")
        sources[edit.file] = sources[edit.file].replace(edit.find, edit.replace)
    return sources


@functools.cache
def _compiled(source, name):
    return compile(source, f"<mutant of reference/{name}.py>", "exec")


class Modules:
    """One private set of the contract's modules; its contract functions by name (m.lstm_forward).

    shared: modules of another set to use as they are (those the edits do not reach)."""

    def __init__(self, sources, label, shared=None):
        self.label = label
        self.modules = {}
        importer = functools.partial(_import, self.modules)
        private_builtins = {**vars(builtins), "__import__": importer}
        for name in contract.MODULES:   # each imports only those before it
            if shared is not None and name in shared:
                self.modules[name] = shared[name]
                continue
            module = types.ModuleType(name)
            module.__file__ = f"<{label}>/{name}.py"
            module.__dict__["__builtins__"] = private_builtins
            exec(_compiled(sources[f"{name}.py"], name), module.__dict__)
            self.modules[name] = module

    def __getattr__(self, function):
        if function == "modules":   # not yet set: still being built
            raise AttributeError(function)
        return getattr(self.modules[contract.module_of(function)], function)


def _import(siblings, name, globals=None, locals=None, fromlist=(), level=0):
    """__import__ for a private set: the contract's module names are the set's own."""
    if level == 0 and name in siblings:
        return siblings[name]
    return builtins.__import__(name, globals, locals, fromlist, level)


@functools.cache
def reference_modules(folder):
    """The unmutated reference as a private set, built as the mutants are."""
    return Modules(reference_sources(folder), "reference")


@functools.cache
def mutant(folder, mistake_id):
    """The private module set of one mistake of the catalogue (built once per
    process): the edited modules and those importing them are built anew, the
    others are the unmutated set's."""
    mistake = by_id()[mistake_id]
    rebuilt = {edit.file[:-3] for edit in mistake.edits}
    for name in contract.MODULES:   # in import order: a module's imports come before it
        if imports(folder)[name] & rebuilt:
            rebuilt.add(name)
    unmutated = reference_modules(folder).modules
    return Modules(mutated_sources(folder, mistake), f"mutant {mistake_id}",
                   shared={name: module for name, module in unmutated.items() if name not in rebuilt})


@functools.cache
def imports(folder):
    """Module -> the contract's modules it imports."""
    found = {}
    for file, tree in parsed(folder).items():
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        found[file[:-3]] = names & set(contract.MODULES)
    return found


# --- which mutants can change a function ------------------------------------------

@functools.cache
def parsed(folder):
    """File name -> the syntax tree of the reference's source."""
    return {file: ast.parse(source) for file, source in reference_sources(folder).items()}


@functools.cache
def call_graph(folder):
    """Top-level function -> the top-level functions its body names, over all
    the reference's modules (their names are unique across the modules), and
    file -> [(first line, last line, function)] of its top-level functions."""
    calls, spans = {}, {}
    for file, tree in parsed(folder).items():
        spans[file] = []
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                spans[file].append((node.lineno, node.end_lineno, node.name))
                calls[node.name] = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    return ({name: names & calls.keys() for name, names in calls.items()}, spans)


@functools.cache
def reaches(folder, function):
    """The top-level functions `function` runs, itself included."""
    calls, _ = call_graph(folder)
    seen, todo = set(), [function]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(calls.get(name, ()))
    return frozenset(seen)


@functools.cache
def touched(folder, mistake_id):
    """The top-level functions a mistake's edits lie in; an edit outside any
    function (a module constant, an import) touches all of its file's functions.

    An edit is placed in the reference as it is when its find occurs there
    once; otherwise (it finds what an earlier edit wrote) it touches its file."""
    _, spans = call_graph(folder)
    sources = reference_sources(folder)
    names = set()
    for edit in by_id()[mistake_id].edits:
        everything = {name for _, _, name in spans[edit.file]}
        if sources[edit.file].count(edit.find) != 1:
            names |= everything
            continue
        start = sources[edit.file].index(edit.find)
        first = sources[edit.file].count("\n", 0, start) + 1
        last = first + edit.find.count("\n")
        names |= {name for begin, end, name in spans[edit.file] if begin <= first and last <= end} or everything
    return frozenset(names)


def candidates(folder, functions):
    """The mistakes whose edits lie in code that `functions` run (by the
    reference's call graph), in catalogue order: the only ones that can
    change what they return."""
    run = frozenset().union(*(reaches(folder, function) for function in functions))
    return [mistake for mistake in catalogue() if touched(folder, mistake.id) & run]
