# q2c: the two commands that set everything up (see README.md).
.PHONY: run test bench lint readme help

help:
	@echo "make run    set up and start Odoo with the q2c suite and demo data on :8069"
	@echo "make test   set up and run every test (Odoo runner, pytest-odoo, lint)"
	@echo "make bench  set up and run the benchmarks in tests/bench/"
	@echo "make lint   ruff, pylint-odoo and the README.rst check only"
	@echo "make readme regenerate addons/*/README.rst from their readme/ fragments"

run:
	@scripts/q2c run

test:
	@scripts/q2c test

bench:
	@scripts/q2c bench

lint:
	@scripts/q2c test --lint-only

readme:
	@scripts/q2c readme
