# Thin wrapper over CMake so that a fresh Debian machine needs only
# `make demo` and `make test`. Everything real lives in CMakeLists.txt.
BUILD      ?= build
SAN_BUILD  ?= build-sanitize
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=
DEMO_OUT   ?= out
MAKEFLAGS  += --no-print-directory
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 600

.PHONY: all deps configure build demo test quick test-sanitize sanitize bench fuzz format clean

all: build

deps:
	@bash scripts/setup-deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCASESIM_WERROR=ON $(CMAKE_ARGS)

configure: deps $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@mkdir -p $(DEMO_OUT)
	@bash scripts/demo.sh $(BUILD)/casesim $(DEMO_OUT)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The fast local loop: unit and command-line tests, no fuzzing, valgrind or
# MPI (ctest -L quick; `make test` runs everything).
quick: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L quick

sanitize test-sanitize: deps
	cmake -S . -B $(SAN_BUILD) -DCASESIM_WERROR=ON -DCASESIM_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_ARGS)
	cmake --build $(SAN_BUILD) -j $(JOBS)
	cd $(SAN_BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	@bash bench/run.sh $(BUILD)

# Long fuzzing runs (ASan + UBSan, clang's libFuzzer): FUZZ_SECONDS per target.
# The working corpus grows in $(FUZZ_BUILD)/corpus; fold what it found into
# the repository with `scripts/fuzz.sh merge $(FUZZ_BUILD)` (see fuzz/README.md).
fuzz: deps
	bash scripts/fuzz.sh build $(FUZZ_BUILD)
	bash scripts/fuzz.sh run $(FUZZ_BUILD) $(FUZZ_SECONDS)

# Every C source and header of the project, found by glob so that new module
# folders are formatted too; clang-format's own errors stop make.
FORMAT_FILES = $(wildcard include/casesim/*.h model/*/*.[ch] analysis/*.[ch] \
                 tests/*.c tests/support/*.[ch] tests/pcg_reference/*.[ch] \
                 tests/pcg_reference/*.cpp bench/*.c fuzz/*.c)

format:
	clang-format -i $(FORMAT_FILES)

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(FUZZ_BUILD)
