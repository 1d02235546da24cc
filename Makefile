# Module 6 autograder. `make grade` and `make test` set everything up themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Extra dependency groups from pyproject.toml; CI adds torch and nbgrader.
EXTRAS ?= test
STAMP := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
comma := ,
SUBMISSIONS ?= examples/submissions/*
OUT ?= reports

.PHONY: venv test grade release check bench clean nbgrader-demo gradescope

# Also compiles our own modules ahead: where PYTHONDONTWRITEBYTECODE is set,
# every grader process would otherwise compile them again (about 0.1 s each).
venv: $(STAMP)
	@$(PY) -m compileall -q autograder reference > /dev/null

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[$(EXTRAS)]'
	touch $@

test: venv
	$(PY) -m pytest tests

grade: venv
	$(PY) -m autograder grade $(SUBMISSIONS) --out $(OUT)
	$(PY) -m autograder table $(OUT)
	$(PY) -m autograder class-report $(OUT)

# Regenerate everything built from reference/: assignments/, the examples, the nbgrader notebook,
# and the students' picture assignments/gradient_reach.png (drawn with matplotlib: the plot extra).
PLOT_EXTRAS := $(if $(findstring plot,$(EXTRAS)),$(EXTRAS),$(EXTRAS),plot)
release:
	$(MAKE) --no-print-directory venv EXTRAS=$(PLOT_EXTRAS)
	$(PY) -m autograder release
	$(PY) assignments/plot_gradient_reach.py --from reference --out assignments/gradient_reach.png

check: venv
	$(PY) -m autograder check $(or $(STUDENT),assignments)

# The cluster benchmark (local grading vs a LocalCluster) needs the cluster extra.
BENCH_EXTRAS := $(if $(findstring cluster,$(EXTRAS)),$(EXTRAS),$(EXTRAS),cluster)
bench:
	$(MAKE) --no-print-directory venv EXTRAS=$(BENCH_EXTRAS)
	$(PY) -m autograder bench

# GPU parity (docs/instructors.md, "GPU parity checks"): grade the examples with --gpu on CuPy and print a
# table; time the reference LSTM on CuPy vs NumPy vs cuDNN. Both say so in one
# line and exit 0 without a GPU. They run with the first interpreter that
# imports CuPy (a GPU machine's own python3: it may have no network for a venv).
.PHONY: gpu-check bench-gpu
GPU_PY = $(or $(shell for p in $(PY) python3; do $$p -c "import cupy" 2>/dev/null && echo $$p && break; done),$(wildcard $(PY)),python3)
gpu-check:
	$(GPU_PY) -m autograder gpu-check

bench-gpu:
	$(GPU_PY) -m autograder bench gpu

# nbgrader end to end (generate_assignment, autograde, generate_feedback, export)
# on alice, bob and carol in build/nbgrader-demo; prints the exported grades.
NB_EXTRAS := $(if $(findstring nbgrader,$(EXTRAS)),$(EXTRAS),$(EXTRAS),nbgrader)
nbgrader-demo:
	$(MAKE) --no-print-directory venv EXTRAS=$(NB_EXTRAS)
	$(PY) -m autograder nbgrader demo --work build/nbgrader-demo

# The Gradescope autograder zip: build/gradescope/autograder.zip.
gradescope: venv
	$(PY) -m autograder gradescope build

clean:
	rm -rf $(VENV) $(OUT) build .hypothesis .pytest_cache
