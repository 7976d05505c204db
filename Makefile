# Mercato: `make demo` runs the shop with demo data (web, chat, worker and beat), `make test` runs
# the tests.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
SEED ?= 1
PYTEST_WORKERS ?= 2
# Extra pytest arguments, e.g. PYTEST_ARGS='-m "not slow"' (CI's SQLite pass, .ci/run).
PYTEST_ARGS ?=

.PHONY: install demo run test lint format bench bench-flash messages clean

$(VENV)/.installed: pyproject.toml
	@$(PY) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Mercato needs Python 3.11, found " + sys.version' 
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	@touch $@

install: $(VENV)/.installed

# The demo offers the sandbox gateway (approve your own payment, no money moves). It is off
# unless switched on, and a process without DEBUG refuses it unless told it is unsafe.
demo run: export MERCATO_PAYMENT_METHODS ?= cod,sandbox
demo: export MERCATO_UNSAFE_ALLOW_SANDBOX ?= 1
# The pages open the live chat's sockets on the Procfile's chat process, which honcho puts
# on the port after web's (PORT + 100).
demo: export MERCATO_CHAT_SOCKET_URL ?= ws://$(HOST):$(shell echo $$(($(PORT) + 100)))

demo: install
	$(BIN)/mercato migrate --noinput -v0
	$(BIN)/mercato seed_demo --seed $(SEED) --images
	$(BIN)/mercato seed_demo_orders --seed $(SEED)
	$(BIN)/mercato rebuild_search_index
	$(BIN)/mercato collectstatic --noinput -v0
	$(BIN)/mercato demo_info --url http://$(HOST):$(PORT)
	@# web, chat, Celery worker and beat (Procfile) on the embedded broker and cache (demo.env)
	PATH="$(CURDIR)/$(BIN):$$PATH" HOST=$(HOST) $(BIN)/honcho -f Procfile -e demo.env start -p $(PORT)

run: install
	$(BIN)/mercato migrate --noinput -v0
	DEBUG=1 $(BIN)/mercato runserver $(HOST):$(PORT)

test: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python bench/run.py

# The flash sale (秒杀) buy endpoint with Redis against the bare Django floor (docs/performance.md).
bench-flash: install
	$(BIN)/python bench/flash_bench.py

messages: install
	cd src/mercato && ../../$(BIN)/mercato makemessages -l zh_Hans -l en --no-obsolete && ../../$(BIN)/mercato compilemessages

clean:
	rm -rf $(VENV) var/mercato.sqlite3*
