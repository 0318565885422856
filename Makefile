# Thin wrapper around CMake. `make test` and `make demo` work on a fresh machine.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: deps configure build test test-asan demo bench corpus clean fuzz stress

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS) > $(BUILD).configure.log 2>&1 \
	  || (cat $(BUILD).configure.log; exit 1)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# All tests in the normal build, then the unit tests again under ASan+UBSan.
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) test-asan

test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DABACUS_SANITIZE=ON $(CMAKE_ARGS) > $(ASAN_BUILD).configure.log 2>&1 \
	  || (cat $(ASAN_BUILD).configure.log; exit 1)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

# Long fuzzing runs: every parser's libFuzzer target for FUZZ_SECONDS (default 300) each.
FUZZ_SECONDS ?= 300
fuzz:
	bash tests/fuzz/run_fuzz.sh . $(BUILD)/fuzz-long $(FUZZ_SECONDS)

# kill -9 at STRESS_KILLS (default 500) random points of training runs, each resume checked
# bit-identical against an uninterrupted run (the CTest runs 50).
STRESS_KILLS ?= 500
stress: build
	python3 tests/reliability/kill_resume.py $(BUILD)/abacus $(BUILD)/stress --kills $(STRESS_KILLS) --budget 3600 --seed $$RANDOM

corpus: deps
	bash scripts/fetch-corpus.sh

demo: build
	./$(BUILD)/abacus demo

bench: build
	bash bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(BUILD).configure.log $(ASAN_BUILD).configure.log
