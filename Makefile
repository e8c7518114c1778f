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

.PHONY: all deps configure build demo test test-sanitize sanitize bench fuzz format clean

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

format:
	clang-format -i include/casesim/*.h model/*.c model/*.h analysis/*.c analysis/*.h tests/*.c tests/support/*.[ch] tests/pcg_reference/*.[ch] tests/pcg_reference/*.cpp bench/*.c fuzz/*.c 2>/dev/null || true

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(FUZZ_BUILD)
