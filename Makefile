# Cairn's two commands (see README.md):
#   make run   install what is missing, build, and start the cairn shell on ./cairn-data
#   make test  install what is missing, build, and run the whole test suite with ctest
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
DATA_DIR ?= ./cairn-data
JOBS ?= 2
# make crashtest: SIGKILL/restart/verify loop of cairn-stress (docs/stress.md).
CRASHTEST_SECONDS ?= 600
CRASHTEST_MODE ?= blackbox

.PHONY: all deps configure build run test clean crashtest

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
