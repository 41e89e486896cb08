# Two commands: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Exactly this version: these machines hold a local CPU build of it. Any other
# version or a range pulls gigabytes of CUDA wheels. GPU users: see README.
TORCH_VERSION := 2.13.0
# GPU machines: make test TORCH_INSTALL="torch --index-url https://download.pytorch.org/whl/cu126"
TORCH_INSTALL ?= torch==$(TORCH_VERSION)

.PHONY: run test install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet $(TORCH_INSTALL)
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/uniformgap showcase

test: install
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) runs
