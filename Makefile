# Two commands do all set-up on a fresh machine with Python >= 3.11 and make:
#   make demo   - create .venv, install, run the main job on the bundled sample
#   make test   - create .venv, install, run the whole test suite
# Also: make wheel (dist/*.whl), make notebooks (JupyterLab on notebooks/), make bench, make docs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
OUT    ?= out/demo

.PHONY: install demo test bench docs wheel notebooks clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/aos demo --out $(OUT)

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2

# make bench: every benchmark, the scaling curve (0.25-3 M patients, ~3 h on 2 shared cores) last;
# AOS_BENCH_SIZES=none skips it, AOS_BENCH_SIZES=250000,500000 limits it (docs/performance.md).
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run_all

docs: $(STAMP)
	$(BIN)/python -m pipeline.docs

wheel: $(STAMP)
	$(BIN)/python -m build --wheel --outdir dist

# The notebooks read AOS_DB (default out/demo/aos.duckdb, made by `make demo`).
# Extra JupyterLab options: make notebooks NB_ARGS="--no-browser --allow-root"
notebooks: $(STAMP)
	AOS_DB=$${AOS_DB:-$(CURDIR)/$(OUT)/aos.duckdb} $(BIN)/jupyter lab notebooks/ $(NB_ARGS)

clean:
	rm -rf $(VENV) out build dist *.egg-info .pytest_cache
