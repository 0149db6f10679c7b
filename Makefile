# CME performance pipeline. `make run` and `make test` are all a new machine
# needs (README.md).

CARGO ?= cargo
PYTHON ?= python3
# The documented demo key for the bundled synthetic sample. Never use it for
# real data: set CME_PSEUDONYM_KEY from your secret store instead.
CME_PSEUDONYM_KEY ?= cme-demo-key-for-synthetic-sample-only
export CME_PSEUDONYM_KEY

PERIOD ?= 2018-06
EXTRACT_DATE ?= 2018-07-02
WAREHOUSE ?= ./warehouse
SAMPLE := data/sample/cme-extract-sample.csv
TEST_VENV := .venv-test

.PHONY: run build test test-deps sample bench fmt clean report-screenshot

## run: build, then run every stage on the bundled sample and publish to ./warehouse
run: build
	$(CARGO) run --quiet --bin cme -- run --period $(PERIOD) --input $(SAMPLE) \
		--extract-date $(EXTRACT_DATE) --warehouse $(WAREHOUSE)

build:
	$(CARGO) build --bin cme

## test: install what the tests need (pyarrow, DuckDB, Chromium, an S3 server), start it, run the tests
test: test-deps
	VENV=$(TEST_VENV) bash scripts/test.sh

test-deps: $(TEST_VENV)/.installed-2
	bash scripts/install-chromium.sh

# pyarrow and DuckDB read the published Parquet back in the tests (docs/bi.md).
$(TEST_VENV)/.installed-2:
	$(PYTHON) -m venv $(TEST_VENV)
	$(TEST_VENV)/bin/pip install --quiet --disable-pip-version-check pyarrow duckdb==1.5.5
	touch $@

## sample: regenerate the bundled synthetic sample (deterministic)
sample:
	$(CARGO) run --quiet --bin cme -- synth --output $(SAMPLE)
	$(CARGO) run --quiet --bin cme -- synth --style casesys --output data/sample/casesys-extract-sample.csv
	$(CARGO) run --quiet --bin cme -- synth --style casesys --output data/sample/casesys-extract-sample.xlsx

## bench: speed and memory on a large synthetic extract (release build)
bench:
	bash bench/run.sh

fmt:
	$(CARGO) fmt --all

clean:
	rm -rf warehouse $(TEST_VENV)

## report-screenshot: refresh docs/report-screenshot.png from the sample's report
report-screenshot:
	CME_UPDATE_SCREENSHOT=1 $(CARGO) test --test report_browser
