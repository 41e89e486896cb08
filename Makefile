# Two commands: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Exactly this version: these machines hold a local CPU build of it. Any other
# version or a range pulls gigabytes of CUDA wheels. GPU users: see README.
TORCH_VERSION := 2.13.0
# GPU machines: make test TORCH_INSTALL="torch --index-url https://download.pytorch.org/whl/cu126"
TORCH_INSTALL ?= torch==$(TORCH_VERSION)
# pyproject.toml's `test-s3` extra (its one list), read with the stdlib's tomllib (Python >= 3.11).
S3_TEST_PACKAGES := $(shell $(PYTHON) -c "import tomllib; print(' '.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['test-s3']))")

.PHONY: run test install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet $(TORCH_INSTALL)
	$(BIN)/pip install --quiet -e ".[test]"
	# The local S3 server of tests/test_storage.py (the `test-s3` extra: moto and what it imports),
	# --no-deps: exactly these, no resolve (botocore would downgrade python-dateutil), never the
	# rest of moto[server] (docker, cfn-lint, ...). After the
	# resolve above, so that it does not see botocore's dateutil pin and warn about it.
	$(BIN)/pip install --quiet --no-deps $(S3_TEST_PACKAGES)
	# The attack suite of `uniformgap robust train` (optional: skipped with a reason when absent).
	# --no-deps: torchattacks' metadata requires torchvision, whose resolve would replace the
	# pinned torch; both import and run without it (their other needs are already installed).
	$(BIN)/pip install --quiet --no-deps torchattacks==3.5.1 pyautoattack==0.2.0
	touch $@

install: $(VENV)/.installed

# The main job: the `quick` student-teacher preset (under 5 min on 2 cores: run + analyze + report
# measured 4 min 12 s on a quiet 2-core machine, after the first install's ~2 min), its minimax
# analysis and a self-contained HTML report. Each call writes a new runs/quick-<time>/;
# an interrupted run continues with `.venv/bin/uniformgap run --resume <that dir>`.
run: install
	@dir=runs/quick-$$(date +%Y%m%d-%H%M%S); \
	$(BIN)/uniformgap run quick --out $$dir && \
	$(BIN)/uniformgap analyze $$dir && \
	$(BIN)/uniformgap report $$dir >/dev/null && \
	echo "" && echo "results: $$dir/results.parquet (and .csv)" && \
	echo "report:  $$dir/report.html"

test: install
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) runs
