PY ?= .venv/bin/python

.PHONY: test lint bench

test:
	$(PY) -m pytest

lint:
	$(PY) -m ruff check screener tests bench
	$(PY) -m ruff format --check screener tests bench
	$(PY) -m mypy

bench:
	$(PY) bench/store.py
	$(PY) bench/metrics.py
	$(PY) bench/run.py
	$(PY) bench/basket.py
	$(PY) bench/events.py
