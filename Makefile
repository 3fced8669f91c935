# newsflow: `make run` runs the pipeline on the bundled demo feeds, `make test` tests it all.
# `make help` lists every target.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
KAFKA_LIBS := .kafka/libs
KAFKA_POM := tools/kafka-runtime/pom.xml
PYTEST_ARGS ?=
DATA ?= ../shared/data
# Options for a benchmark or evaluation command, e.g. ARGS="--articles 20000 --profile".
ARGS ?=
# rustup puts cargo here; the native extension (native/) is built with it.
export PATH := $(HOME)/.cargo/bin:$(PATH)
NATIVE_SOURCES := native/Cargo.toml native/Cargo.lock native/pyproject.toml $(wildcard native/src/*.rs) \
	native/newsflow_native.pyi

.DEFAULT_GOAL := help
.PHONY: help deps deps-system run watch test test-unit test-integration test-e2e lint format clean \
	eval-dedupe bench-dedupe eval-extraction bench bench-broker bench-compression bench-poll eval-polling eval-stories bench-stories story-signals story-day story-pairs place-mentions eval-tags bench-tag test-faults screenshots bench-web

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

deps: deps-system $(VENV)/.installed $(KAFKA_LIBS)/.copied ## install everything (system packages, Python deps, Kafka jars)

# Debian's redis-server (the Redis the project starts), kcat (an independent Kafka client) and
# chromium (the browser of the newsroom view's tests).
deps-system: ## install redis-server and kcat with apt when missing (needs root)
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v kcat >/dev/null || missing="$$missing kcat"; \
	command -v java >/dev/null || missing="$$missing openjdk-17-jre-headless"; \
	command -v mvn >/dev/null || missing="$$missing maven"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v cargo >/dev/null || { echo "cargo (Rust >= 1.87) is needed to build native/: install it with rustup" >&2; exit 1; }; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" -ne 0 ]; then echo "run as root, or: sudo apt-get install$$missing" >&2; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(VENV)/.installed: pyproject.toml $(NATIVE_SOURCES)
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q ./native
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# The broker's jars from Maven Central (see tools/kafka-runtime/pom.xml).
$(KAFKA_LIBS)/.copied: $(KAFKA_POM)
	rm -rf $(KAFKA_LIBS)
	mvn -B -q -f $(KAFKA_POM) org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
		-DincludeScope=runtime -DoutputDirectory=$(CURDIR)/$(KAFKA_LIBS)
	touch $@

run: deps ## run the pipeline on the bundled demo feeds until Ctrl-C (starts Kafka and Redis)
	$(BIN)/newsflow run --demo

watch: ## show processed articles as they arrive (run beside `make run`)
	$(BIN)/newsflow watch --from-beginning

test: deps lint ## the whole suite: unit, integration and end-to-end, on a real broker and Redis
	$(BIN)/pytest $(PYTEST_ARGS)

test-unit: deps ## unit tests only (no servers)
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

test-integration: deps ## integration tests (real Kafka and Redis, started by the tests)
	$(BIN)/pytest tests/integration $(PYTEST_ARGS)

test-e2e: deps ## end-to-end tests (the whole pipeline against a local HTTP server)
	$(BIN)/pytest tests/e2e $(PYTEST_ARGS)

bench: deps ## the whole pipeline: throughput, latency at 50/s, per-stage CPU, scaling, memory, plots (DATA=...)
	$(BIN)/python -m evaluation.bench_pipeline $(DATA) $(ARGS)

bench-broker: deps ## the broker's CPU per record: flush and commit after every record or after many
	$(BIN)/python -m evaluation.bench_broker $(ARGS)

bench-compression: deps ## bytes and CPU an article message for each producer codec (DATA=...)
	$(BIN)/python -m evaluation.bench_compression $(DATA) $(ARGS)

bench-poll: deps ## feed checks per minute through the poller against local 304 and 200 servers
	$(BIN)/python -m evaluation.bench_poll $(ARGS)

bench-web: deps ## the newsroom view's CPU with 10,000 stories, 50 live readers and 50 articles/s, beside newsflow watch's
	$(BIN)/python -m evaluation.bench_web $(ARGS)

screenshots: deps ## the newsroom view's PNGs in docs/screenshots, from `newsflow run --demo` in Chromium
	$(BIN)/python tools/screenshots.py

eval-polling: deps ## entries lost in bursts and gaps reported, the poller now and before, in simulated time (DATA=... adds ANT)
	$(BIN)/python -m evaluation.eval_polling $(DATA) $(ARGS)

eval-extraction: deps ## extraction quality on every page set (scrapinghub, dragnet, readability) vs plain trafilatura (DATA=...)
	$(BIN)/python -m evaluation.eval_extraction $(DATA) $(ARGS)

eval-dedupe: deps ## dedupe quality on the ANT corpus vs datasketch (DATA=shared data folder)
	$(BIN)/python -m evaluation.eval_dedupe $(DATA) $(ARGS)

bench-dedupe: deps ## dedupe throughput and Redis memory vs datasketch (DATA=shared data folder)
	$(BIN)/python -m evaluation.bench_dedupe $(DATA) $(ARGS)

eval-stories: deps ## story level vs a TF-IDF reference: SemEval-2022 pairs, hand-labelled ANT pairs, a hand-grouped day (DATA=...)
	$(BIN)/python -m evaluation.eval_stories $(DATA) $(ARGS)

bench-stories: deps ## story step articles/s per core and Redis bytes per article, beside the dedupe stage (DATA=...)
	$(BIN)/python -m evaluation.bench_stories $(DATA) $(ARGS)

story-signals: deps ## same-story vs related pairs linked by fitted mixes of the story signals, on the labelled ANT pairs (DATA=...)
	$(BIN)/python -m evaluation.story_signals $(DATA) $(ARGS)

story-day: deps ## write a day of the ANT corpus to group by hand (ARGS="--day 2018-04-10 --texts FILE")
	$(BIN)/python -m evaluation.story_day $(DATA) $(ARGS)

story-pairs: deps ## draw the ANT pairs to label by hand (ARGS="--texts FILE" writes their leads to read)
	$(BIN)/python -m evaluation.story_pairs $(DATA) $(ARGS)

place-mentions: deps ## draw the place mentions of real text to label by hand (ARGS="--worklist FILE")
	$(BIN)/python -m evaluation.place_mentions $(DATA) $(ARGS)

eval-tags: deps ## tag precision/recall on the hand-labelled set; language accuracy on the corpora (DATA=...)
	$(BIN)/python -m evaluation.eval_tags $(DATA) $(ARGS)

bench-tag: deps ## tag stage articles/s per core on 600-word articles (DATA=shared data folder)
	$(BIN)/python -m evaluation.bench_tag $(DATA) $(ARGS)

test-faults: deps ## fault injection: 2,000 articles while stages are killed and Redis freezes and restarts
	$(BIN)/pytest -m faults -s $(PYTEST_ARGS)

lint: $(VENV)/.installed ## ruff and mypy --strict
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: $(VENV)/.installed ## apply ruff's formatting and fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean: ## remove the virtual environment, jars and local server data
	rm -rf $(VENV) .kafka .run .pytest_cache .mypy_cache .ruff_cache native/target
