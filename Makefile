# Herald's entry points. The two users need: `make demo` and `make test`.
# Everything else is a building block (see README.md).
SHELL := /bin/bash
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: deps build build-asan test test-unit demo demo-down stack-up stack-down workers-up workers-down format clean

deps:
	@scripts/install-deps

build: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Unit tests under AddressSanitizer + UndefinedBehaviorSanitizer.
build-asan: deps
	@cmake -S . -B $(BUILD_DIR)-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHERALD_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD_DIR)-asan -j $(JOBS)

# Everything CI runs: unit, integration and end-to-end tests on the real local
# stack. Starts the stack when it is not up, and stops what it started.
test: build
	@scripts/run-tests $(BUILD_DIR) $(CTEST_ARGS)

# Unit tests only: no stack needed.
test-unit: build
	@cd $(BUILD_DIR) && ctest -L unit --output-on-failure $(CTEST_ARGS)

stack-up: deps
	@scripts/stack/up

stack-down:
	@scripts/stack/down

workers-up:
	@scripts/workers up

workers-down:
	@scripts/workers down

demo: build
	@scripts/demo up

demo-down:
	@scripts/demo down

format:
	@git ls-files '*.cc' '*.h' | xargs -r clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(BUILD_DIR)-asan
