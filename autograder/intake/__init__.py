"""Intake: what a student handed in (a folder, a notebook or a zip of either)
becomes a clean folder of module files, nothing of it executed.

    from autograder.intake import prepare, name_of, SubmissionError
    prepare("alice.zip", folder)    # writes the module files into `folder`

folders.py reads folders and files, zips.py zips, notebooks.py notebooks;
helpers.py decides which of a student's own helper modules come along.
"""
from .folders import MANIFEST, SubmissionError, name_of, prepare, worker_fields

__all__ = ["MANIFEST", "SubmissionError", "name_of", "prepare", "worker_fields"]
