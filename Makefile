# The two commands: `make run` and `make test`. Everything else here is what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
SYSTEM_LIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
BROWSER_PKGS := chromium

.PHONY: run test setup system-libs browser migrate lint format worker clean

$(BIN)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

# WeasyPrint renders invoices with Pango; install its libraries from Debian when they are missing.
system-libs:
	@missing=$$(for p in $(SYSTEM_LIBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing $$missing"; apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "Missing Debian packages: $$missing"; \
			echo "Install them with: sudo apt-get install -y $$missing"; exit 1; \
		fi; \
	fi

# Browser tests drive Debian's chromium through Playwright (never a downloaded browser).
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing chromium"; apt-get update -qq && apt-get install -y -qq $(BROWSER_PKGS) >/dev/null; \
		else \
			echo "Browser tests need Debian's chromium: sudo apt-get install -y $(BROWSER_PKGS)"; exit 1; \
		fi; \
	fi

setup: $(BIN)/.installed system-libs

migrate: setup
	$(BIN)/python manage.py migrate --noinput

# Links in e-mails point where this server listens, unless SHOP_BASE_URL is set (the worker reads it too).
run: export SHOP_BASE_URL ?= http://127.0.0.1:$(PORT)
run: migrate
	$(BIN)/python manage.py seed_demo
	@if [ -n "$$REDIS_URL" ]; then \
		echo "REDIS_URL is set: starting a Celery worker (with beat for the re-send jobs)"; \
		$(BIN)/celery -A orders_site worker --beat --loglevel=INFO --concurrency=2 & \
		worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		$(BIN)/python manage.py runserver 127.0.0.1:$(PORT); \
	else \
		$(BIN)/python manage.py runserver 127.0.0.1:$(PORT); \
	fi

# In parallel, one process per core (pytest-xdist); each file's tests stay in one process.
# PYTEST_ARGS passes more, e.g. make test PYTEST_ARGS="-n 0 -x" for one process that stops early.
test: setup browser
	$(BIN)/pytest -n auto --dist loadfile $(PYTEST_ARGS)

worker: setup
	$(BIN)/celery -A orders_site worker --loglevel=INFO

# ruff, then the layer contract (.importlinter): a wrong import arrow fails here.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles
