# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# `make demo` and `make lab` install what running needs (the package, its runtime dependencies
# and the kernelspec); `make test`, `test-fast`, `lint` and `bench` add the test extras.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
LAB_PORT ?= 8888

.PHONY: demo lab test test-fast bench lint clean venv venv-test

venv: $(STAMP)
venv-test: $(TEST_STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -c "from edu_quality.report.notebooks import ensure_kernel; ensure_kernel()"
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(TEST_STAMP)

demo: $(STAMP)
	$(BIN)/python -m edu_quality.demo

# JupyterLab on 127.0.0.1 with notebooks/ open and the project's kernel (Ctrl+C stops it).
lab: $(STAMP)
	$(BIN)/python -m edu_quality.lab --port $(LAB_PORT)

# The browser and PDF tests need Chromium and poppler-utils (pdftotext, pdfinfo): installed here
# when missing and running as root (quietly, log in .venv/apt-install.log); without them those
# tests are skipped, the run goes on.
test: $(TEST_STAMP)
	@{ command -v chromium && command -v pdftotext; } >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || { \
	  echo "Установка Chromium и poppler-utils для тестов в браузере и PDF (журнал: $(VENV)/apt-install.log)"; \
	  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium poppler-utils) \
	    >$(VENV)/apt-install.log 2>&1 || echo "Chromium или poppler-utils не установлены: тесты в браузере и PDF будут пропущены"; }
	$(BIN)/python -m pytest

# The inner loop: everything but the tests marked slow (kernels, clusters, Chromium, large data).
test-fast: $(TEST_STAMP)
	$(BIN)/python -m pytest -m "not slow" -q

# Benchmarks, not tests: school reports four ways — the naive papermill + nbconvert loop,
# `edu-quality report batch`, the in-process limit, the batch on a local Dask cluster — table
# in reports/bench.md; the ФИС ОКО import and the real region's whole report batch when the
# folder of real data is there; the national-scale analysis in pandas and on a local Dask
# cluster; the four interactive timings (explorer ready and redraw, one school report, one
# ФИС ОКО file) beside their targets; a missed
# target of the national-scale runs is printed and the benchmarks after it still run.
ALTAI ?= ../shared/real/altai
bench: $(TEST_STAMP)
	$(BIN)/python benchmarks/bench_reports.py
	@if [ -d "$(ALTAI)" ]; then $(BIN)/python benchmarks/bench_import.py "$(ALTAI)"; \
	else echo "bench_import: нет папки $(ALTAI), импорт не замерен"; fi
	@if [ -d "$(ALTAI)" ]; then $(BIN)/python benchmarks/bench_region.py "$(ALTAI)"; \
	else echo "bench_region: нет папки $(ALTAI), пакет региона не замерен"; fi
	-$(BIN)/python benchmarks/bench_national.py
	-$(BIN)/python benchmarks/bench_dask.py
	$(BIN)/python benchmarks/bench_interactive.py --altai "$(ALTAI)"

lint: $(TEST_STAMP)
	$(BIN)/ruff check edu_quality tests benchmarks
	$(BIN)/ruff format --check edu_quality tests benchmarks

clean:
	rm -rf $(VENV) reports/*.html
