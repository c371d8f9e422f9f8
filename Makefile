# Cairn's two commands (see README.md):
#   make run   install what is missing, build, and start `cairn serve` (Redis protocol) on
#              127.0.0.1:7379 with ./cairn-data (`make shell` starts the cairn shell instead)
#   make test  install what is missing, build, and run the whole test suite with ctest
#   make fuzz  build the libFuzzer targets (clang) and run each FUZZ_SECONDS (docs/fuzzing.md)
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
DATA_DIR ?= ./cairn-data
JOBS ?= 2
# WERROR=1 turns compiler warnings into errors (CMake option CAIRN_WERROR; .ci/run sets it).
# Off by default: a user's compiler may warn where ours does not. CMAKE_ARGS adds any other
# configure options, e.g. make test CMAKE_ARGS="-DCMAKE_CXX_COMPILER=clang++".
WERROR ?= 0
CMAKE_ARGS ?=
CAIRN_WERROR_FLAG = $(if $(filter 1 ON on yes YES true TRUE,$(WERROR)),ON,OFF)
# make crashtest: SIGKILL/restart/verify loop of cairn-stress (docs/stress.md).
CRASHTEST_SECONDS ?= 600
CRASHTEST_MODE ?= blackbox

PORT ?= 7379

.PHONY: all deps configure build run shell test clean crashtest fuzz bench bench-quick bench-build

all: build

deps:
	bash scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DCAIRN_WERROR=$(CAIRN_WERROR_FLAG) $(CMAKE_ARGS)

build: configure
	cmake --build $(BUILD_DIR) -j$(JOBS)

# --- cairn serve (docs/server.md) ---
run: build
	@echo "cairn serve: database $(DATA_DIR), listening on 127.0.0.1:$(PORT)"
	@echo "connect with:  redis-cli -p $(PORT)     (Ctrl-C stops the server cleanly)"
	$(BUILD_DIR)/cairn serve --db $(DATA_DIR) --port $(PORT)

shell: build
	$(BUILD_DIR)/cairn shell --db $(DATA_DIR)
# --- end of the cairn serve block ---

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS)

# cairn-stress killed and restarted for CRASHTEST_SECONDS (mode blackbox, whitebox or mixed);
# ends with "crashtest: N kill/restart cycles, M operations verified, F failures".
crashtest: configure
	cmake --build $(BUILD_DIR) -j$(JOBS) --target cairn_stress
	python3 tools/stress/crashtest.py --stress $(BUILD_DIR)/cairn-stress \
	  --mode $(CRASHTEST_MODE) --duration $(CRASHTEST_SECONDS) --dir $(BUILD_DIR)/crashtest

clean:
	rm -rf $(BUILD_DIR)

# --- Fuzzing (docs/fuzzing.md): every fuzz/<name>_fuzz.cc for FUZZ_SECONDS seconds each, in
# build-fuzz/ (clang, ASan+UBSan); e.g. `make fuzz FUZZ_SECONDS=3600` for a long run. ---
FUZZ_SECONDS ?= 60
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) JOBS=$(JOBS) bash scripts/run-fuzz.sh
# --- end fuzzing ---

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
