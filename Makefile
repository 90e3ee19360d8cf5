# Set-up and checks. `make run` and `make test` work on a fresh machine (see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEB_PACKAGES := redis-server antiword fonts-wqy-zenhei libreoffice-writer-nogui libreoffice-calc-nogui chromium
MEILI_DIR := .cache/meilisearch

.PHONY: install system-deps meilisearch run lint test bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# Debian packages the parsers and the tests' services need (root on the CI machine).
system-deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

meilisearch:
	bash scripts/meilisearch.sh $(MEILI_DIR)

run: install
	$(BIN)/python scripts/demo.py --data data

# The linter and the type checker, configured in pyproject.toml ([tool.ruff], [tool.mypy]).
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

test: install system-deps meilisearch lint
	MEILISEARCH_BIN=$(CURDIR)/$(MEILI_DIR)/meilisearch $(BIN)/pytest -q

bench: install
	$(BIN)/python bench/crawl.py

clean:
	rm -rf $(VENV) data .cache .pytest_cache .mypy_cache .ruff_cache
