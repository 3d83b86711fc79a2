# make demo: a throwaway Dovecot with sample mail, one poll, the orders and drafts it made.
# make test: the whole suite, against a real Dovecot (and PostgreSQL) that it starts itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install system-deps bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(STAMP)

system-deps:
	@sh tests/system-deps.sh

demo: install system-deps
	$(BIN)/python -m assistant.demo

test: install system-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: install system-deps
	$(BIN)/python bench/dates_accuracy.py
	$(BIN)/python bench/extract_speed.py
	$(BIN)/python bench/backfill.py --sizes 10000 50000 --idle-sizes 1000 50000 --write

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
