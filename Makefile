# Two commands set everything up on a fresh Debian 12 machine:
#   make demo   installs missing Debian packages, builds, runs the main job
#   make test   the same set-up (with R and its survival, cmprsk and jsonlite packages, for
#               the tests against R), then the whole test suite (ctest), which starts a
#               throwaway PostgreSQL server (package postgresql) for the PostgreSQL tests
# Other targets: make build, make bench (installs R for the side-by-side), make deps,
# make check-r (the differential test against R on 5,000 random datasets).

SHELL := /bin/bash
JOBS  ?= $(shell nproc)
BUILD ?= build
SHARED ?= $(abspath ../shared)
SUDO  := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

BUILD_PACKAGES := build-essential cmake pkg-config libgtest-dev libgmock-dev libbenchmark-dev \
  zlib1g-dev libsqlite3-dev libpq-dev postgresql libssl-dev libeigen3-dev libboost-math-dev libtomlplusplus-dev libcli11-dev \
  libfmt-dev nlohmann-json3-dev libcairo2-dev libxlsxwriter-dev python3 clang libclang-rt-14-dev \
  fonts-dejavu-core chromium unzip pandoc libreoffice-writer-nogui poppler-utils
R_PACKAGES := r-base-core r-cran-survival r-cran-cmprsk r-cran-jsonlite r-cran-matchit
BENCH_PACKAGES := $(R_PACKAGES) r-cran-data.table
R_DIFF_DATASETS ?= 5000

.PHONY: all deps deps-r deps-bench build test check-r demo bench clean

all: build

# Installs only what is missing, so repeated runs are quick and need no network.
define apt_install
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

deps:
	$(call apt_install,$(BUILD_PACKAGES))

deps-r: deps
	$(call apt_install,$(R_PACKAGES))

deps-bench: deps
	$(call apt_install,$(BENCH_PACKAGES))

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DRWE_SHARED_DIR=$(SHARED)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build deps-r
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# rwe against R survival on many random datasets (docs/methods.md §6).
check-r: build deps-r
	python3 tests/r_diff/r_diff.py --rwe $(BUILD)/rwe --datasets $(R_DIFF_DATASETS) --seed 1

demo: build
	./scripts/demo.sh $(BUILD)/rwe $(SHARED)

bench: deps-bench
	cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DRWE_BUILD_BENCH=ON -DRWE_BUILD_TESTS=OFF -DRWE_SHARED_DIR=$(SHARED)
	cmake --build build-bench -j $(JOBS)
	./bench/run_all.sh build-bench $(SHARED)

clean:
	rm -rf $(BUILD) build-bench
