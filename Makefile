# Two commands on a fresh machine: `make demo` and `make test`. Each creates .venv on first use.
# torch is pinned to the CPU build 2.13.0 and installed *before* the project: a plain `torch`
# requirement would otherwise pull a multi-GB CUDA build.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
TORCH  := torch==2.13.0
# Local wheel mirror on the project machines; harmless where it does not exist.
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet $(FIND_LINKS) $(TORCH)
	$(PY) -m pip install --quiet $(FIND_LINKS) -e '.[dev,plot,text,tensorboard]' $(TORCH)
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/seqbucket train japanese-vowels --out runs/demo --force

# lint first: a format or type error fails in seconds, not after the whole suite
test: lint
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy src

# The frontier runs the peers' own samplers (transformers, lhotse): the `peers` extra, installed
# on the same pip line as the torch pin.
bench: $(STAMP)
	$(PY) -m pip install --quiet $(FIND_LINKS) -e '.[dev,plot,text,tensorboard,peers]' $(TORCH)
	$(PY) benchmarks/batching_frontier.py
	$(PY) benchmarks/plan_10m.py
	$(PY) benchmarks/encoder_speed.py

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache
