# Cairn's two commands (see README.md):
#   make run   install what is missing, build, and start `cairn serve` (Redis protocol) on
#              127.0.0.1:7379 with ./cairn-data (`make shell` starts the cairn shell instead)
#   make test  install what is missing, build, and run the whole test suite with ctest
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
DATA_DIR ?= ./cairn-data
JOBS ?= 2

PORT ?= 7379

.PHONY: all deps configure build run shell test clean

all: build

deps:
	bash scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

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

clean:
	rm -rf $(BUILD_DIR)
