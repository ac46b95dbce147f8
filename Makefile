# `make demo` and `make test` each work alone on a fresh machine: they install what they need.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test bench serve neural clean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/system-deps.sh src/unspin/_trigram.c
	bash scripts/system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,bench]'
	# Benchmark corpora ship in gensim's test data; its code (and numpy/scipy pins) isn't needed.
	$(BIN)/pip install -q --no-deps gensim==4.3.3
	$(BIN)/unspin build
	touch $(STAMP)

demo: setup
	$(BIN)/unspin check examples/original.txt examples/spun.txt
	$(BIN)/unspin restore --format diff examples/spun.txt

test: setup
	bash scripts/system-deps.sh --browser   # Debian's chromium, for tests/test_web.py
	$(BIN)/ruff check src tests bench
	UNSPIN_REQUIRE_BROWSER=1 UNSPIN_REQUIRE_COMPILED_LM=1 $(BIN)/pytest -q
	$(BIN)/unspin bench --quick

# Optional: the neural re-scorer (Gemma 3 270M, Gemma Terms of Use), converted once (~1 min).
neural: setup
	$(BIN)/pip install -q -e '.[neural]'
	$(BIN)/python -c "from unspin.neural import convert_gemma; print(convert_gemma())"

serve: setup
	$(BIN)/unspin serve

bench: setup
	$(BIN)/unspin bench --json bench-out/bench.json

clean:
	rm -rf $(VENV) build *.egg-info
