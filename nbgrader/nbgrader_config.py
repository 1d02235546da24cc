"""nbgrader configuration of the Module 6 course folder.

The assignment is source/module6/module6.ipynb, generated from reference/ by
`python -m autograder.integrations.notebook` (do not edit it by hand). Its
grade cells run the Module 6 autograder, so nbgrader must run in a Python
environment where the `rnn-autograder` package is installed (`pip install
-e '.[nbgrader]'` from the repository).
"""
from autograder.integrations.nbgrader_preprocessors import (autograde_preprocessors,
                                                            generate_assignment_preprocessors)

c = get_config()  # noqa: F821 (nbgrader defines it)

c.CourseDirectory.course_id = "module6"
c.CourseDirectory.root = "."

# The students' stubs are the ones in assignments/ (release.strip_solutions),
# not nbgrader's `raise NotImplementedError()`.
c.GenerateAssignment.preprocessors = generate_assignment_preprocessors()

# The grade cells run in the student's kernel, after the student's code; the
# scores nbgrader records are checked against the grader run from nbgrader's
# own process (RegradeOutsideKernel), which the notebook's code cannot reach.
c.Autograde.autograde_preprocessors = autograde_preprocessors()

# The first grade cell grades the whole notebook (a few seconds; a submission
# that hangs is stopped by the grader's own limits, rubric.toml's budget_s).
# nbgrader's default of 30 s a cell could cut it short.
c.Execute.timeout = 300

# Students missing from the gradebook are added by `nbgrader autograde`.
c.Autograde.create_student = True
