# phoneboot - GNU Make + pkg-config. Sources are listed once, here.
#   make            build ./phoneboot and build/libphoneboot.a
#   make check      unit tests (plain and ASan+UBSan), lint, fuzz replay,
#                   fixtures; integration tests when the lab can run (root)
#   make fuzz       libFuzzer harnesses (clang), FUZZ_SECONDS each
#   make bench      benchmarks in bench/

CC      ?= cc
PKGS    := openssl libuv libcares ldap jansson inih
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-format-truncation -Werror
CPPFLAGS += -Iinclude -Ilib -D_GNU_SOURCE
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
ALL_CFLAGS  = -std=c11 $(WARN) -fvisibility=hidden $(CFLAGS) $(PKG_CFLAGS)

LIB_SRC := lib/core/codes.c lib/core/rd.c lib/core/file.c lib/core/rnd.c lib/core/nopipe.c \
           lib/profile/profile.c lib/profile/names.c \
           lib/x509/decode.c lib/x509/chain.c lib/x509/judge.c \
           lib/x509/hash.c lib/tls/tls.c lib/tls/probe.c \
           lib/dns/dns.c lib/ldap/dir.c lib/sip/msg.c \
           lib/dhcp/packet.c lib/dhcp/client.c \
           lib/engine/boot.c lib/engine/flow.c lib/engine/record.c \
           lib/engine/engine.c lib/engine/device.c lib/engine/fleet.c lib/engine/summary.c \
           lib/steps/dhcp.c lib/steps/locate_dc.c lib/steps/download_root.c \
           lib/steps/install_root.c lib/steps/locate_pool.c lib/steps/connect.c \
           lib/steps/authenticate.c lib/steps/register.c \
           lib/auth/auth.c lib/auth/digest.c lib/diag/diagnose.c lib/logon.c \
           lib/ntlm/ntlm.c lib/sipae/sipae.c
CLI_SRC := src/main.c src/cmd_profiles.c src/cmd_cert.c src/cmd_logon.c src/html.c src/paths.c \
           src/cmd_fleet.c src/cmd_matrix.c src/fleet_util.c src/fleet_csv.c
UNIT    := test_codes test_rd test_profile test_judge test_sip test_dhcp test_dns \
           test_ntlm test_sipae test_dir test_mock_sipreg test_engine test_diag test_fleet

B := build
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(B)/%.o)

.PHONY: lab-test cli-tests all check unit unit-asan lint fixtures fuzz fuzz-replay bench clean integration lab-check
all: phoneboot

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(B)/libphoneboot.a: $(LIB_OBJ)
	ar rcs $@ $^

phoneboot: $(CLI_OBJ) $(B)/libphoneboot.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(PKG_LIBS)

# ---- tests ----
FIXTURES := $(B)/fixtures/.done
$(FIXTURES): tests/fixtures/mkfixtures.sh
	sh tests/fixtures/mkfixtures.sh $(B)/fixtures
	@touch $@
fixtures: $(FIXTURES)

$(B)/unit/%: tests/unit/%.c $(B)/libphoneboot.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -fvisibility=default -o $@ $^ $(PKG_LIBS) -lcmocka

# Tests that need a mock server of tests/mock/ list it here; $^ links it in.
$(B)/unit/test_dns $(B)/asan/test_dns: tests/mock/dnsd.c
$(B)/unit/test_dir $(B)/asan/test_dir: tests/mock/mock_ldap.c
MOCK_SIPREG := tests/mock/sipreg.c tests/mock/sipreg_msg.c
$(B)/unit/test_mock_sipreg $(B)/asan/test_mock_sipreg: $(MOCK_SIPREG)
$(B)/unit/test_engine $(B)/asan/test_engine: tests/mock/dnsd.c $(MOCK_SIPREG)
$(B)/unit/test_fleet $(B)/asan/test_fleet: tests/mock/dnsd.c $(MOCK_SIPREG)

# Sanitizer build: the library and tests again with ASan + UBSan.
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
$(B)/asan/lib.a: $(LIB_SRC)
	@rm -rf $(B)/asan/obj $@ && mkdir -p $(B)/asan/obj
	cd $(B)/asan/obj && for f in $(LIB_SRC); do \
	  $(CC) $(addprefix -I$(CURDIR)/,include lib) -D_GNU_SOURCE $(ALL_CFLAGS) $(SAN) -O1 \
	    -c $(CURDIR)/$$f -o $$(echo $$f | tr / _).o || exit 1; done
	ar rcs $@ $(B)/asan/obj/*.o
$(B)/asan/%: tests/unit/%.c $(B)/asan/lib.a
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(SAN) -O1 -o $@ $^ $(PKG_LIBS) -lcmocka

# The command itself under ASan+UBSan, for the integration tests.
$(B)/asan/phoneboot: $(CLI_SRC) $(B)/asan/lib.a
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(SAN) -O1 -o $@ $(CLI_SRC) $(B)/asan/lib.a $(PKG_LIBS)
	ln -sfn $(CURDIR)/profiles $(B)/asan/profiles

unit: $(UNIT:%=$(B)/unit/%) $(FIXTURES) phoneboot
	@sh tests/run-unit.sh $(B)/unit "$(UNIT)"
unit-asan: $(UNIT:%=$(B)/asan/%) $(FIXTURES)
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  sh tests/run-unit.sh $(B)/asan "$(UNIT)"

lint:
	@sh scripts/lint.sh

cli-tests: phoneboot $(FIXTURES)
	@bash tests/cli/run.sh

# The lab's own tests: real servers, so root and the lab packages are needed.
lab-test: phoneboot $(B)/asan/phoneboot
	@if [ "$$(id -u)" = 0 ] && command -v kamailio >/dev/null && command -v slapd >/dev/null; then \
	  bash lab/test-all && \
	  PB_BIN=$(B)/asan/phoneboot ASAN_OPTIONS=exitcode=86:detect_leaks=1 \
	  UBSAN_OPTIONS=exitcode=86 bash tests/integration/logon.sh && \
	  PB_BIN=$(B)/asan/phoneboot ASAN_OPTIONS=exitcode=86:detect_leaks=1 \
	  UBSAN_OPTIONS=exitcode=86 bash tests/integration/dhcp.sh && \
	  PB_BIN=$(B)/asan/phoneboot ASAN_OPTIONS=exitcode=86:detect_leaks=1 \
	  UBSAN_OPTIONS=exitcode=86 bash tests/integration/fleet.sh; \
	else echo "lab-test: skipped (needs root and scripts/install-deps.sh lab)"; fi

check: all lint unit unit-asan cli-tests fuzz-replay lab-test
	@echo "make check: done"

# ---- fuzzing (clang) ----
FUZZERS := fuzz_cert fuzz_profile fuzz_sip fuzz_digest fuzz_dhcp
FUZZERS += fuzz_ntlm_challenge fuzz_sipae
FUZZ_SECONDS ?= 20
# make check fuzzes each harness this long (bounded), after the corpus
CHECK_FUZZ_SECONDS ?= 15
$(B)/fuzz/%: tests/fuzz/%.c $(LIB_SRC)
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
	  $(PKG_CFLAGS) -o $@ $^ $(PKG_LIBS)
fuzz: $(FUZZERS:%=$(B)/fuzz/%) $(FIXTURES)
	@sh tests/fuzz/run.sh $(B)/fuzz $(FUZZ_SECONDS) "$(FUZZERS)"
fuzz-replay: $(FIXTURES)
	@if command -v clang >/dev/null; then \
	  $(MAKE) --no-print-directory $(FUZZERS:%=$(B)/fuzz/%) && \
	  sh tests/fuzz/run.sh $(B)/fuzz $(CHECK_FUZZ_SECONDS) "$(FUZZERS)"; \
	else echo "fuzz-replay: clang not installed, skipped"; fi

# ---- benchmarks ----
$(B)/bench/%: bench/%.c $(B)/libphoneboot.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -fvisibility=default -o $@ $^ $(PKG_LIBS)
bench: $(B)/bench/bench_judge $(B)/bench/bench_dhcp $(FIXTURES) phoneboot
	$(B)/bench/bench_judge profiles $(B)/fixtures /etc/ssl/certs/ca-certificates.crt
	@if [ "$$(id -u)" = 0 ]; then bash bench/bench_cert_tls.sh && python3 bench/bench_logon.py && \
	  python3 bench/bench_fleet.py && \
	  lab/lab up --netns >/dev/null && ip netns exec labphone $(B)/bench/bench_dhcp veth-phone 100 10 20; fi

clean:
	rm -rf $(B) phoneboot

-include $(shell find $(B) -name '*.d' 2>/dev/null)
