"""Where the grader's own files are: one place for every module to ask."""
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE.parent
REFERENCE_DIR = REPO_ROOT / "reference"        # the hidden solution
STUBS_DIR = REPO_ROOT / "assignments"          # what students get: stands in for a missing file
SUITE_DIR = PACKAGE / "suite"                  # the hidden grading suite
HYPOTHESIS_HOME = REPO_ROOT / ".hypothesis"    # hypothesis's cache, in the grader's folder, never where it runs
DEFAULT_RUBRIC = PACKAGE / "rubric.toml"
