# aas: plain GNU make.  `make`, `make check`, `make install`.
CC ?= cc
CFLAGS ?= -O2 -g
PKG_CONFIG ?= pkg-config
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
CLANG ?= clang
FUZZ_SECONDS ?= 60

PKGS = libcurl jansson yaml-0.1 libgit2
MISSING := $(strip $(foreach p,$(PKGS),$(if $(shell $(PKG_CONFIG) --exists $(p) 2>/dev/null && echo y),,$(p))))
DEP_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
DEP_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lpthread -lm
EMU_LIBS := $(shell $(PKG_CONFIG) --libs libmicrohttpd jansson 2>/dev/null) -lpthread

WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-missing-field-initializers
override CFLAGS += -std=c11 -D_GNU_SOURCE $(WARN)
override CPPFLAGS += -Ilib $(DEP_CFLAGS) -MMD -MP
ASAN = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined -Werror
TSAN = -O1 -g -fsanitize=thread -Werror

LIB_SRC := $(wildcard lib/*.c)
CMDS := $(patsubst cmd/%.c,%,$(wildcard cmd/aas-*.c))
UNITS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/t-*.c))
EMU_SRC := $(wildcard tests/emu/*.c)
FUZZERS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz-*.c))
REPLAYS := $(patsubst fuzz-%,replay-%,$(FUZZERS))
MAN1 := $(wildcard man/*.1)
MAN5 := $(wildcard man/*.5)
MAN7 := $(wildcard man/*.7)

# variant DIR EXTRA-CFLAGS: one build tree of everything
define variant
$(1)/%.o: %.c | deps-ok
	@mkdir -p $$(@D)
	$$(CC) $$(CPPFLAGS) $$(CFLAGS) $(2) -c -o $$@ $$<
$(1)/lib/libaas.a: $(patsubst %.c,$(1)/%.o,$(LIB_SRC))
	@rm -f $$@
	$$(AR) rcs $$@ $$^
$(1)/bin/%: $(1)/cmd/%.o $(1)/lib/libaas.a
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $(2) $$(LDFLAGS) -o $$@ $$^ $$(DEP_LIBS)
$(1)/tests/unit/%: $(1)/tests/unit/%.o $(1)/lib/libaas.a
	$$(CC) $$(CFLAGS) $(2) $$(LDFLAGS) -o $$@ $$^ $$(DEP_LIBS)
# replay-NAME: fuzz-NAME's LLVMFuzzerTestOneInput over its corpus (TAP)
$(1)/tests/fuzz/replay-%: $(1)/tests/fuzz/replay.o $(1)/tests/fuzz/fuzz-%.o $(1)/lib/libaas.a
	$$(CC) $$(CFLAGS) $(2) $$(LDFLAGS) -o $$@ $$^ $$(DEP_LIBS)
$(1)/tests/emu/aas-emu: $(patsubst %.c,$(1)/%.o,$(EMU_SRC))
	$$(CC) $$(CFLAGS) $(2) $$(LDFLAGS) -o $$@ $$^ $$(EMU_LIBS)
$(1)/all: $(addprefix $(1)/bin/,$(CMDS))
$(1)/tests: $(addprefix $(1)/tests/unit/,$(UNITS)) $(if $(EMU_SRC),$(1)/tests/emu/aas-emu) \
    $(addprefix $(1)/tests/fuzz/,$(REPLAYS))
.PHONY: $(1)/all $(1)/tests
-include $(shell find $(1) -name '*.d' 2>/dev/null)
endef

.PHONY: all check asan tsan check-tsan test fuzz bench bench-quick demo install uninstall clean deps deps-ok lint-man valgrind
# object files are kept between runs, not deleted as intermediates
.SECONDARY:
all: build/all

$(eval $(call variant,build,))
$(eval $(call variant,build/asan,$(ASAN)))
$(eval $(call variant,build/tsan,$(TSAN)))

deps-ok:
	@$(if $(MISSING),echo "aas: missing libraries: $(MISSING) (run: sh tests/deps.sh)" >&2; exit 1,:)

deps:
	sh tests/deps.sh

asan: build/asan/all build/asan/tests

# The whole suite: sanitizer build with -Werror, unit and command tests
# and every fuzz corpus replayed through its target (build/asan/tests/fuzz/
# replay-NAME) through prove, man pages linted.  TESTS narrows it:
# make check TESTS='tests/cmd/1*.t'
TESTS ?= $(addprefix build/asan/tests/unit/,$(UNITS)) $(sort $(wildcard tests/cmd/*.t)) \
    $(addprefix build/asan/tests/fuzz/,$(REPLAYS))
TEST_ENV = AAS_SRC=$(CURDIR) AAS_BUILD=$(CURDIR)/build/asan \
	PATH=$(CURDIR)/build/asan/bin:$$PATH \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
check: asan lint-man
	$(TEST_ENV) prove -j$${JOBS:-2} --exec '' $(TESTS)

test: check

# ThreadSanitizer (build/tsan, not part of check): the tests that run
# threads (the emulator, aas-submit, aas-fetch and its results reader,
# the scratch checkout's two writers, aas-qa -j and its check slots, the
# progress ticker); a race or lock-order report fails the test (exit 66).
TSAN_TESTS ?= $(addprefix build/tsan/tests/unit/,t-results t-jscan t-record t-child t-qa t-scratch) \
    $(sort $(wildcard tests/cmd/0100*.t tests/cmd/05*.t tests/cmd/2*.t tests/cmd/3*.t \
    tests/cmd/6050*.t tests/cmd/6070*.t))
tsan: build/tsan/all build/tsan/tests
check-tsan: tsan
	AAS_SRC=$(CURDIR) AAS_BUILD=$(CURDIR)/build/tsan PATH=$(CURDIR)/build/tsan/bin:$$PATH \
	    TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 $${TSAN_OPTIONS:-}" \
	    prove -j$${JOBS:-2} --exec '' $(TSAN_TESTS)

lint-man:
	mandoc -Tlint -W warning $(MAN1) $(MAN5) $(MAN7)

# The command tests with every aas binary run under valgrind (memcheck):
# an error or a definite leak exits 97, which the exact-status tests catch,
# and the run fails at the end if any process logged one.  valgrind writes
# to a log per process (build/valgrind/log/PID.XXXXXX), never to the command's
# stderr, so exact-stderr tests compare the command's own words (valgrind
# warns there of system calls it does not know, such as pidfd_open).
# Tools by absolute path: some tests run the commands with a PATH of their own.
VG = $(shell command -v valgrind) --error-exitcode=97 --leak-check=full --errors-for-leak-kinds=definite
valgrind: build/all build/tests
	@command -v valgrind >/dev/null || { echo "aas: valgrind is not installed" >&2; exit 1; }
	rm -rf build/valgrind && mkdir -p build/valgrind/bin build/valgrind/log
	ln -s ../tests build/valgrind/tests
	for c in $(CMDS); do \
	    printf '#!/bin/sh\nexec $(VG) --log-file="$$($(shell command -v mktemp) %s/$$$$.XXXXXX)" %s "$$@"\n' \
	        $(CURDIR)/build/valgrind/log $(CURDIR)/build/bin/$$c >build/valgrind/bin/$$c; \
	    chmod +x build/valgrind/bin/$$c; done
	st=0; AAS_SRC=$(CURDIR) AAS_BUILD=$(CURDIR)/build/valgrind PATH=$(CURDIR)/build/valgrind/bin:$$PATH \
	    prove --exec '' $(or $(VTESTS),$(sort $(wildcard tests/cmd/*.t))) || st=1; \
	bad=$$(grep -l 'ERROR SUMMARY: [1-9]' build/valgrind/log/*); \
	for f in $$bad; do echo "valgrind: $$f:"; cat $$f; done; \
	echo "valgrind: $$(ls build/valgrind/log | wc -l) processes, $$(echo $$bad | wc -w) with errors"; \
	[ $$st = 0 ] && [ -z "$$bad" ]

# libFuzzer targets: the library built once with clang and coverage,
# each target linked against it and run over its corpus for FUZZ_SECONDS.
FUZZ_CFLAGS = -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=address,undefined \
    -fno-sanitize-recover=undefined
build/fuzz/lib/%.o: lib/%.c | deps-ok
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -Ilib $(DEP_CFLAGS) -MMD -MP -c -o $@ $<
-include $(wildcard build/fuzz/lib/*.d)
build/fuzz/libaas.a: $(patsubst lib/%.c,build/fuzz/lib/%.o,$(LIB_SRC))
	@rm -f $@
	$(AR) rcs $@ $^
build/fuzz/%: tests/fuzz/%.c build/fuzz/libaas.a
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Ilib $(DEP_CFLAGS) -o $@ $^ $(DEP_LIBS)
fuzz: $(addprefix build/fuzz/,$(FUZZERS))
	@for f in $(FUZZERS); do \
	    c=tests/fuzz/corpus/$${f#fuzz-}; mkdir -p build/fuzz/new/$$f; \
	    echo "fuzz: $$f for $(FUZZ_SECONDS)s"; \
	    build/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 \
	        -artifact_prefix=build/fuzz/ build/fuzz/new/$$f $$c || exit 1; \
	done

bench: build/all build/tests
	sh bench/run.sh

# every benchmark at a reduced size and one table of ratios (bench/quick)
bench-quick: build/all build/tests
	sh bench/quick

demo: build/all build/tests
	sh examples/demo.sh

install: build/all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	install -m 0755 $(addprefix build/bin/,$(CMDS)) $(DESTDIR)$(BINDIR)
	$(if $(MAN1),install -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1)
	$(if $(MAN5),install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5)
	$(if $(MAN7),install -m 0644 $(MAN7) $(DESTDIR)$(MANDIR)/man7)

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(CMDS))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(MAN7)))

clean:
	rm -rf build
