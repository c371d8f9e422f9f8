# Cairn's two commands (see README.md):
#   make run   install what is missing, build, and start the cairn shell on ./cairn-data
#   make test  install what is missing, build, and run the whole test suite with ctest
#   make fuzz  build the libFuzzer targets (clang) and run each FUZZ_SECONDS (docs/fuzzing.md)
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
DATA_DIR ?= ./cairn-data
JOBS ?= 2
# make crashtest: SIGKILL/restart/verify loop of cairn-stress (docs/stress.md).
CRASHTEST_SECONDS ?= 600
CRASHTEST_MODE ?= blackbox

.PHONY: all deps configure build run test clean crashtest fuzz

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
