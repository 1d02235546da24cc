"""Where instructors already grade: nbgrader, Gradescope, CI (JUnit XML) and the
students' own check.

    notebook.py                 the Module 6 notebook, generated from reference/
    nbgrader.py                 grade cells' scores, gradebook, the end-to-end demo
    nbgrader_preprocessors.py   nbgrader's release stubs = assignments/' stubs
    gradescope.py               the autograder zip and its run_autograder

(The JUnit XML that CI test tabs read is a report writer: report/junit.py.)
"""
