PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install test lint demo bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first: the CPU build on disk; a plain resolve would pull a multi-GB CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	# The default embedder's ONNX export (int8 and fp32), made once from the packaged model.
	$(BIN)/python -c "from sourcesync.embeddings import Precision, OnnxEmbedder as E; [E(precision=p).dimension for p in Precision]"
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench examples scripts
	$(BIN)/ruff format --check src tests bench examples scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -q

demo: $(STAMP)
	# Adding the source runs its first sync; later runs sync what changed.
	if $(BIN)/sourcesync sources list --json | grep -q '"name": "sourcesync"'; then \
		$(BIN)/sourcesync sync sourcesync; \
	else \
		$(BIN)/sourcesync sources add git . --name sourcesync; \
	fi
	$(BIN)/sourcesync search "what happens to a run when the engine is killed" -k 3
	$(BIN)/sourcesync search "chunking markdown by headings and code by top-level blocks" -k 3

bench: $(STAMP)
	$(BIN)/python bench/engine_bench.py
	$(BIN)/python bench/pipeline_bench.py
	$(BIN)/python bench/github_bench.py
	$(BIN)/python bench/notion_bench.py
	$(BIN)/python bench/search_eval.py
	$(BIN)/python bench/embedder_bench.py
	$(BIN)/python bench/cli_bench.py
	$(BIN)/python bench/dashboard_bench.py

clean:
	rm -rf $(VENV) .sourcesync .pytest_cache .mypy_cache .ruff_cache
