# The two commands of the README: `make book` and `make test`. Both create .venv when it is
# missing or older than the lock, then do their job.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# One thread per process: two notebooks run at once on two cores, and two OpenMP pools per core
# (oversubscription) make torch steps many times slower.
THREADS := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1
QUIET := TQDM_DISABLE=1 TF_CPP_MIN_LOG_LEVEL=3 PYDEVD_DISABLE_FILE_VALIDATION=1 MPLBACKEND=Agg
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
# Outside _build: nbmake skips every path that contains a "_build" folder.
EXEC := _executed
TIMES := _build/stage-times.txt
CHROMIUM := /usr/bin/chromium
# Writes the _config.yml (execution off) and _toc.yml of the copies that nbmake executes.
VARIANT := $(BIN)/python tools/book_variant.py --execute off
PORT ?= 8000

.PHONY: help venv book test lint format unit notebooks build-executed site serve lab clean lock preview bench

help:
	@echo "make book   build the HTML book into _build/html (executes every chapter)"
	@echo "make test   lint, unit tests, every chapter under nbmake, book build with warnings as errors"
	@echo "make lint   ruff check and ruff format --check (package, tests, notebooks)"
	@echo "make format reformat with ruff and apply its safe lint fixes"
	@echo "make lab    open the notebooks in JupyterLab"
	@echo "make serve  serve the built book on http://127.0.0.1:$(PORT)/"
	@echo "make site   test the built book in headless Chromium (screenshots in _build/screenshots)"
	@echo "make bench  time dropout implementations and one MLP epoch"

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# The chapters are executed as `make test` executes them (two at a time, slowest first, one line
# each), then the book is built from the executed copies; full logs go to _build/*.log.
book: $(STAMP)
	@mkdir -p _build && : > $(TIMES)
	@$(MAKE) --no-print-directory notebooks build-executed
	@cat $(TIMES) && echo "The book is in _build/html/index.html"

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

# make test: its stages, each timed; lint first, as it takes seconds. The book is executed once
# (by nbmake), then built from the executed copies with execution turned off.
test: $(STAMP)
	@mkdir -p _build && : > $(TIMES)
	@$(MAKE) --no-print-directory lint unit notebooks build-executed site
	@echo "== stage wall times ==" && cat $(TIMES)

# Settings in pyproject.toml ([tool.ruff]). Both checks run, so that one log shows both; `make
# format` fixes the formatting and most lint findings.
lint: $(STAMP)
	@start=$$(date +%s); mkdir -p _build; \
	$(BIN)/ruff check .; rc=$$?; \
	$(BIN)/ruff format --check --output-format concise . || rc=1; \
	echo "lint            $$(( $$(date +%s) - start )) s" >> $(TIMES); exit $$rc

# Fixes first (import sorting can leave lines to reformat); findings it cannot fix are listed.
format: $(STAMP)
	$(BIN)/ruff check --fix --exit-zero .
	$(BIN)/ruff format .

unit: $(STAMP)
	@start=$$(date +%s); \
	$(QUIET) $(BIN)/python -m pytest tests -q -n 2 --durations=5; rc=$$?; \
	echo "unit tests      $$(( $$(date +%s) - start )) s" >> $(TIMES); exit $$rc

notebooks: $(STAMP)
	@start=$$(date +%s); rm -rf $(EXEC) && mkdir -p $(EXEC) _build; \
	if [ -z "$(NOTEBOOKS)" ]; then \
	  echo "No chapter notebooks in notebooks/ yet: nbmake stage skipped (nothing to execute)."; \
	  echo "notebooks       skipped: none" >> $(TIMES); exit 0; fi; \
	cp -r book notebooks $(EXEC)/ && ln -s ../companion $(EXEC)/companion; \
	$(VARIANT) --out $(EXEC) || exit 1; \
	echo "executing $(words $(NOTEBOOKS)) chapters, two at a time, slowest first (log: _build/notebooks.log)"; \
	$(THREADS) $(QUIET) $(BIN)/python -m pytest --nbmake --overwrite \
	  --nbmake-timeout=600 -n 2 -p tools.longest_first -p no:cacheprovider -q -o testpaths= \
	  --junitxml=_build/notebooks.xml $(EXEC)/notebooks \
	  > _build/notebooks.log 2>&1; rc=$$?; \
	$(BIN)/python tools/chapter_report.py _build/notebooks.xml || rc=1; \
	if [ $$rc -ne 0 ]; then cat _build/notebooks.log; fi; \
	echo "notebooks       $$(( $$(date +%s) - start )) s ($(words $(NOTEBOOKS)) chapters)" >> $(TIMES); exit $$rc

build-executed: $(STAMP)
	@start=$$(date +%s); src=.; \
	if [ -d $(EXEC)/notebooks ]; then src=$(EXEC); fi; \
	echo "building the book from $$src (log: _build/book.log)"; \
	$(QUIET) $(BIN)/jupyter-book build $$src --path-output . -W -n --keep-going -q \
	  > _build/book.log 2>&1; rc=$$?; \
	if [ $$rc -ne 0 ]; then cat _build/book.log; fi; \
	echo "book build      $$(( $$(date +%s) - start )) s" >> $(TIMES); exit $$rc

# The rendered-site test drives Debian's Chromium; install it where missing (CI runs as root).
$(CHROMIUM):
	command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

site: $(STAMP) $(CHROMIUM)
	@start=$$(date +%s); mkdir -p _build; \
	SITE_TEST=1 $(QUIET) $(BIN)/python -m pytest tests/test_site.py -q -s; rc=$$?; \
	echo "site test       $$(( $$(date +%s) - start )) s (screenshots in _build/screenshots)" >> $(TIMES); exit $$rc

serve:
	@test -f _build/html/index.html || { echo "No built book: run make book first."; exit 1; }
	@echo "The book: http://127.0.0.1:$(PORT)/ (Ctrl-C stops)"
	$(BIN)/python -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

lock:
	rm -rf /tmp/dropout-book-lock && $(PYTHON) -m venv /tmp/dropout-book-lock
	/tmp/dropout-book-lock/bin/pip install --quiet -r requirements.in
	{ echo "# Pinned environment for the dropout book: every package, transitive ones included."; \
	  echo "# Regenerate with 'make lock' after changing requirements.in (Python 3.11, Linux x86_64)."; \
	  /tmp/dropout-book-lock/bin/pip freeze | sed 's/^torch==\(.*\)+cpu$$/torch==\1/'; } > requirements.lock

clean:
	rm -rf _build $(EXEC) _preview

# Preview one chapter while writing it: execute it into _preview/<name>/ and build a small
# book of the landing page, that chapter and the other pages that are not chapters (its _toc.yml
# is generated from the book's). Usage: make preview NB=notebooks/01_x.ipynb
preview: $(STAMP)
	@test -n "$(NB)" || { echo "usage: make preview NB=notebooks/NN_name.ipynb"; exit 2; }
	@name=$$(basename $(NB) .ipynb); dir=_preview/$$name; rm -rf $$dir; mkdir -p $$dir/notebooks; \
	ln -s ../../book $$dir/book && ln -s ../../companion $$dir/companion; \
	cp $(NB) $$dir/notebooks/ && $(VARIANT) --only $(NB) --out $$dir || exit 1; \
	start=$$(date +%s); \
	$(THREADS) $(QUIET) $(BIN)/python -m pytest --nbmake --overwrite --nbmake-timeout=900 -p no:cacheprovider -o testpaths= -q $$dir/notebooks/$$name.ipynb || exit 1; \
	echo "executed $(NB) in $$(( $$(date +%s) - start )) s (on a shared machine, times are inflated)"; \
	$(QUIET) $(BIN)/jupyter-book build $$dir --path-output $$dir -n --keep-going -q && echo "preview: $$dir/_build/html/notebooks/$$name.html"

# Benchmark dropout implementations and one MLP epoch (prints medians and ratios, writes JSON).
bench: $(STAMP)
	$(QUIET) $(BIN)/python -m companion.experiments.bench --out _build/bench.json
