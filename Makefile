# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DB ?= demo.db
# The shipped record: incidents as first reported, the victims, then the public record's later corrections.
PERIOD := --since 2022-12-07 --until 2023-03-31

.PHONY: demo test bench clean install docs

install: $(VENV)/.installed

# compileall: the bytecode, as pip compiles a package it installs (an editable install does not);
# under PYTHONDONTWRITEBYTECODE=1 every command would otherwise compile every module again.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,charts,publish]'
	$(BIN)/python -m compileall -q src
	touch $@

demo: install
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(BIN)/protestlog --db $(DEMO_DB) import data/peru_2022_2023.csv
	$(BIN)/protestlog --db $(DEMO_DB) victim import data/peru_victims.csv
	$(BIN)/protestlog --db $(DEMO_DB) apply-corrections data/peru_corrections.csv
	$(BIN)/protestlog --db $(DEMO_DB) summary --since 2022-12-07
	$(BIN)/protestlog --db $(DEMO_DB) verify
	$(BIN)/protestlog --db $(DEMO_DB) chart --since 2022-12-07
	$(BIN)/protestlog --db $(DEMO_DB) chart $(PERIOD) --output demo-timeline.svg
	$(BIN)/protestlog --db $(DEMO_DB) report $(PERIOD) --output demo-report.html

# --dist worksteal: a worker that runs out of tests takes queued ones from a busy worker (tests/conftest.py
# puts the longest first), so the run does not end with one core idle behind the other.
test: install
	$(BIN)/python -m pytest -q -n auto --dist worksteal

clean:
	rm -rf $(VENV) $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm demo-timeline.svg demo-report.html .pytest_cache

# Benchmarks (not run in CI): medians of alternating runs against sqlite-utils and the sqlite3 shell.
bench: install
	$(BIN)/python bench/bench.py

# The renderings and outputs the README shows, rebuilt from the shipped data (committed under docs/).
docs: install
	rm -f docs/demo.db docs/demo.db-wal docs/demo.db-shm
	$(BIN)/protestlog --db docs/demo.db import data/peru_2022_2023.csv
	$(BIN)/protestlog --db docs/demo.db victim import data/peru_victims.csv
	$(BIN)/protestlog --db docs/demo.db apply-corrections data/peru_corrections.csv
	$(BIN)/protestlog --db docs/demo.db chart $(PERIOD) --by week > docs/chart.txt
	$(BIN)/protestlog --db docs/demo.db chart $(PERIOD) --by day --output docs/timeline.svg
	$(BIN)/protestlog --db docs/demo.db chart $(PERIOD) --by day --cumulative --output docs/timeline-cumulative.png
	$(BIN)/protestlog --db docs/demo.db report $(PERIOD) --output docs/report.html
	$(BIN)/protestlog --db docs/demo.db report $(PERIOD) --output docs/report.md
	rm -f docs/demo.db docs/demo.db-wal docs/demo.db-shm
	$(BIN)/python tools/shipped_data_docs.py   # the README's shipped-data summary and checkpoint tables
	$(BIN)/python docs/readme_examples.py --write README.md   # the outputs the README shows
