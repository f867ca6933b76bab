# Two commands on a fresh machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install demo test bench clean

install: $(STAMP)

# torch first, pinned: an unpinned torch pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	@# Bytecode for every installed module, as pip writes it unless PYTHONDONTWRITEBYTECODE is set (CI images set
	@# it): without it every `winloss` process compiles ~1,000 modules again (4 s of a cached demo run, 9 s more when the model loads). A few test files
	@# of third-party packages are written for newer Pythons and fail to compile; that is why the status is ignored.
	-$(PY) -m compileall -q -j 0 $$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') src >/dev/null 2>&1
	touch $(STAMP)

demo: install
	$(VENV)/bin/winloss run fixtures/demo

test: install
	$(PY) -m pytest -q

# Every benchmark, one after the other (well over 30 minutes on 2 cores); figures land in benchmarks/results/.
bench: install
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	$(PY) benchmarks/bench_themes.py
	$(PY) benchmarks/bench_pipeline.py
	$(PY) benchmarks/bench_search.py
	$(PY) benchmarks/bench_crm.py
	$(PY) benchmarks/bench_llm.py
	$(PY) benchmarks/bench_audio.py --threads 2 --rounds 3
	$(PY) benchmarks/bench_imports.py
	$(PY) benchmarks/bench_tables.py
	$(PY) benchmarks/bench_findings.py
	$(PY) benchmarks/bench_serve.py
	$(PY) benchmarks/bench_scale.py

clean:
	rm -rf $(VENV) reports/demo fixtures/demo/codebook.*
