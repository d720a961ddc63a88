# Thin wrapper over CMake. `make test` and `make demo` set up a bare Debian
# machine (as root) before building; see README.md.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX     ?= /usr/local
DESTDIR    ?=
CTEST_ARGS ?=
# CI gets about eight minutes of fuzzing in all (21 targets x 23 s,
# two at a time); by hand,
# a few seconds a target.
ifeq ($(CI),true)
FUZZ_SECONDS ?= 23
else
FUZZ_SECONDS ?= 10
endif

.PHONY: all deps build asan test unit demo install clean bench deb

# $(call logged,WHAT,LOG,TARGET): makes TARGET with its output in LOG, saying
# so in one line; on failure shows the end of LOG and where the rest is.
logged = mkdir -p $(dir $(2)) && echo "schakel: $(1) (output in $(2))" && \
	if ! $(MAKE) --no-print-directory $(3) >$(2) 2>&1; then \
		tail -n 40 $(2) >&2; \
		echo "schakel: $(1) failed; its whole output is in $(2)" >&2; \
		exit 1; \
	fi

all: build

deps:
	@./scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Sanitizer build with clang: ASan + UBSan everywhere, libFuzzer targets;
# its e2e tests include the browser tests (chromium, node, npm) and the
# Debian packages' (dpkg-buildpackage, lintian: tests/e2e/deb.sh).
asan: deps
	@./scripts/deps.sh --browser
	@./scripts/deps.sh --deb
	@CC=clang cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug \
		-DSK_SANITIZE=ON -DSK_FUZZ=ON -DSK_FUZZ_SECONDS=$(FUZZ_SECONDS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

# Unit tests on the normal build, then the whole suite (unit, e2e, fuzz) on
# the sanitizer build. The set-up and builds go to logs (shown on failure),
# so the output is the tests'.
test:
	@$(call logged,building,$(BUILD)/build.log,build)
	@$(call logged,building with sanitizers,$(ASAN_BUILD)/build.log,asan)
	@cd $(BUILD) && ctest -L unit --output-on-failure -j $(JOBS) $(CTEST_ARGS)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

# Quick loop while working: unit tests of the normal build only.
unit: build
	@cd $(BUILD) && ctest -L unit --output-on-failure -j $(JOBS)

# Benchmarks (not tests): each figure beside its limit, and build/bench.json.
bench: build
	@./bench/run.sh $(BUILD)

# A federation on 127.0.0.1: registry, two pseudonymisers, three nodes. The
# screen shows the story: the set-up and build go to a log, shown (with its
# path) only when they fail.
demo:
	@$(call logged,building,$(BUILD)/build.log,build)
	@./scripts/demo.sh $(BUILD)

# Binaries, man pages, systemd units and guides under $(DESTDIR)$(PREFIX).
install: build
	@DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

# Debian packages (debian/) with dpkg-buildpackage from a copy of the tree:
# the .deb files in $(BUILD)/deb, their paths printed, lintian on them.
deb:
	@./scripts/deps.sh
	@./scripts/deps.sh --deb
	@JOBS=$(JOBS) ./scripts/deb.sh $(BUILD)/deb

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
