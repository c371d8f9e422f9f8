# Cairn's two commands (see README.md):
#   make run   install what is missing, build, and start the cairn shell on ./cairn-data
#   make test  install what is missing, build, and run the whole test suite with ctest
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
DATA_DIR ?= ./cairn-data
JOBS ?= 2

.PHONY: all deps configure build run test clean bench bench-quick bench-build

all: build

deps:
	bash scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: configure
	cmake --build $(BUILD_DIR) -j$(JOBS)

run: build
	$(BUILD_DIR)/cairn shell --db $(DATA_DIR)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS)

clean:
	rm -rf $(BUILD_DIR)

# --- peer benchmarks (bench/peer/, docs/benchmarks.md "Peers") ---
# make bench        Cairn against RocksDB, LevelDB, LMDB, SQLite and WiredTiger, 3 interleaved
#                   repetitions, physical limits in the same run (~15-20 min); report in
#                   $(BENCH_OUT)/peers.md with PNG plots
# make bench-quick  the same at small sizes, once (< 2 min)
BENCH_SCRATCH ?= ./bench-scratch
BENCH_OUT ?= ./bench-results

bench-build: configure
	cmake --build $(BUILD_DIR) --target peer_bench -j$(JOBS)

bench: bench-build
	bench/peer/run_peers.sh $(BUILD_DIR)/peer_bench $(BENCH_SCRATCH) $(BENCH_OUT)

bench-quick: bench-build
	bench/peer/run_peers.sh --quick $(BUILD_DIR)/peer_bench $(BENCH_SCRATCH) $(BENCH_OUT)-quick
# --- end peer benchmarks ---
