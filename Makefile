# Developer and user entry points. `make help` lists them.
SHELL := /bin/bash
BUILD_DIR ?= build
BUILD_TYPE ?= Debug
SANITIZE ?= OFF
CMAKE_FLAGS := -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DMLMODEL_SANITIZE=$(SANITIZE)
SOURCES = $(shell git ls-files 'operator/*.cpp' 'operator/*.h' 'tests/*.cpp' 'tests/*.h' \
  'examples/*.cpp' 'examples/*.h')

RELEASE_DIR ?= build-release
FUZZ_SECONDS ?= 60

.PHONY: help deps tools build image test unit lint fuzz tsan format bench cluster-up cluster-down cluster-status demo demo-mlflow run clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

deps: ## install the Debian packages the build, tests and demo need
	hack/install-deps.sh

tools: ## build the control-plane binaries (cached outside the repo)
	hack/build-tools.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS)

build: deps $(BUILD_DIR)/build.ninja ## build the operator and its tests
	cmake --build $(BUILD_DIR) -j2

image: ## the operator's image (Release, no Docker) pushed to $REGISTRY; prints its digest
	@[ -n "$${IMAGE:-}$${REGISTRY:-}" ] || { echo 'make image: REGISTRY is unset: start the local cluster (make cluster-up) and eval "$$(hack/cluster.sh env)", or set IMAGE=host:port/name:tag' >&2; exit 1; }
	hack/install-deps.sh
	hack/build-tools.sh crane
	cmake -S . -B $(RELEASE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release
	cmake --build $(RELEASE_DIR) -j2 --target mlmodel-operator
	hack/operator-image.sh $(RELEASE_DIR)/operator/mlmodel-operator

test: ## everything: deps, tools, build, local cluster, all tests (CTest)
	BUILD_DIR=$(BUILD_DIR) BUILD_TYPE=$(BUILD_TYPE) CMAKE_ARGS="-DMLMODEL_SANITIZE=$(SANITIZE)" hack/test.sh

unit: build ## only the unit tests (no cluster)
	ctest --test-dir $(BUILD_DIR) -L unit --output-on-failure -j2

# clang-tidy needs only the configured tree's compile_commands.json, not a build: lint
# fails fast, before the long compile. It takes ~10 s of CPU a file (the cpprest and Boost
# headers), so files are checked LINT_JOBS at a time; xargs fails when one of them does.
LINT_JOBS ?= $(shell nproc)
lint: deps $(BUILD_DIR)/build.ninja ## clang-format check and clang-tidy
	clang-format --dry-run --Werror $(SOURCES)
	printf '%s\n' $(filter %.cpp,$(SOURCES)) | xargs -P $(LINT_JOBS) -n 4 \
	  clang-tidy -p $(BUILD_DIR) --quiet --extra-arg=-Wno-unknown-warning-option

fuzz: deps ## the libFuzzer targets (tests/fuzz, clang, build-fuzz), FUZZ_SECONDS (60) each
	FUZZ_SECONDS=$(FUZZ_SECONDS) hack/fuzz.sh

tsan: deps ## the unit tests under ThreadSanitizer (clang, build-tsan)
	hack/tsan.sh

format: ## rewrite sources with clang-format
	clang-format -i $(SOURCES)

bench: tools ## measurements; one line per figure: bench: <name> <value> <unit> (BENCH_PEER_BINARY=PATH or BENCH_PEER_SOURCE=DIR: a peer operator too; BENCH_SETTLED_SECONDS=S: a settled window)
	hack/bench.sh

cluster-up: tools ## start the local cluster (eval "$$(hack/cluster.sh env)" to use it)
	hack/cluster.sh up

cluster-down: ## stop the local cluster and remove its state
	hack/cluster.sh down

cluster-status: ## what of the local cluster runs
	hack/cluster.sh status

demo: ## real pods: operator by Helm, iris model serving, v2 promoted and v3 rolled back on real traffic (left running)
	BUILD_DIR=$(BUILD_DIR) hack/demo.sh

demo-mlflow: ## the demo with versions from a real MLflow registry: the alias champion moves, the operator follows
	BUILD_DIR=$(BUILD_DIR) hack/demo.sh --mlflow

run: build tools ## run the operator in the foreground against the local cluster
	hack/cluster.sh up
	. <(hack/cluster.sh env) && kubectl apply -f crds/serving.mlops.dev_mlmodels.yaml && \
	  $(BUILD_DIR)/operator/mlmodel-operator --insecure-registry "$$REGISTRY" \
	  --metrics-bind-address 127.0.0.1:18080 --health-probe-bind-address 127.0.0.1:18081

clean: ## remove the build tree
	rm -rf $(BUILD_DIR)
