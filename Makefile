# phoneboot - GNU Make + pkg-config. Sources are listed once, here.
#   make            build ./phoneboot and build/libphoneboot.a
#   make check      unit tests (plain and ASan+UBSan), the allocation-failure
#                   run (make torture), lint, fuzz replay, fixtures;
#                   integration tests when the lab can run (root)
#   make fuzz       libFuzzer harnesses (clang), FUZZ_SECONDS each
#   make bench      benchmarks in bench/

CC      ?= cc
PKGS    := openssl libuv libcares ldap jansson inih libcurl krb5-gssapi krb5
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-format-truncation -Werror
CPPFLAGS += -Iinclude -Ilib -I$(B) -D_GNU_SOURCE
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
ALL_CFLAGS  = -std=c11 $(WARN) -fvisibility=hidden $(CFLAGS) $(PKG_CFLAGS)

LIB_SRC := lib/core/codes.c lib/core/rd.c lib/core/file.c lib/core/rnd.c lib/core/nopipe.c \
           lib/core/isotime.c lib/core/jx.c lib/sntp/packet.c lib/sntp/client.c \
           lib/profile/profile.c lib/profile/names.c \
           lib/x509/decode.c lib/x509/chain.c lib/x509/judge.c \
           lib/x509/hash.c lib/x509/cache.c lib/tls/tls.c lib/tls/probe.c lib/tls/fd.c lib/tls/sockbio.c \
           lib/dns/dns.c lib/ldap/dir.c lib/ldap/sasl.c lib/ldap/spnego.c lib/sip/msg.c \
           lib/dhcp/packet.c lib/dhcp/client.c \
           lib/engine/boot.c lib/engine/flow.c lib/engine/record.c \
           lib/engine/engine.c lib/engine/device.c lib/engine/step_util.c \
           lib/engine/fleet.c lib/engine/summary.c lib/engine/sip_out.c \
           lib/steps/dhcp.c lib/steps/locate_dc.c lib/steps/download_root.c \
           lib/steps/install_root.c lib/steps/locate_pool.c lib/steps/connect.c \
           lib/steps/authenticate.c lib/steps/register.c lib/steps/time.c \
           lib/steps/device_update.c lib/http/http.c lib/http/ucupdate.c lib/http/certsrv.c lib/http/negotiate.c lib/tls/hook.c \
           lib/auth/auth.c lib/auth/digest.c lib/auth/ntlm.c lib/diag/diagnose.c lib/logon.c \
           lib/ntlm/ntlm.c lib/sipae/sipae.c lib/auth/kerberos.c lib/auth/tlsdsk.c \
           lib/krb/krb.c lib/krb/kdc.c lib/krb/login.c lib/ldap/gssapi.c
CLI_SRC := src/main.c src/opts.c src/help.c src/cmd_profiles.c src/cmd_cert.c src/cmd_logon.c \
           src/cmd_report.c src/report.c src/render_text.c src/html.c src/paths.c \
           src/cmd_fleet.c src/cmd_matrix.c src/fleet_util.c src/fleet_csv.c
UNIT    := test_codes test_rd test_profile test_judge test_sip test_dhcp test_dns \
           test_ntlm test_sipae test_dir test_mock_sipreg test_engine test_diag \
           test_time_devupdate test_fleet test_spnego test_krb test_tlsdsk test_certsrv

B := build

# make install: PREFIX and DESTDIR as usual. The binary finds the catalog
# at $(DATADIR)/profiles, or ../share/phoneboot/profiles from itself.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
DATADIR     ?= $(PREFIX)/share/phoneboot
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(B)/%.o)

.PHONY: krb-test install uninstall install-test browser-test FORCE lab-test cli-tests all check unit unit-asan torture lint fixtures fuzz fuzz-replay bench clean integration lab-check
all: phoneboot docs/phoneboot.1 $(B)/phoneboot.bash

# What the build was configured with; rewritten only when it changes.
$(B)/config.h: FORCE
	@mkdir -p $(B)
	@printf '#define PB_DATADIR "%s"\n' '$(DATADIR)' > $@.new
	@cmp -s $@.new $@ && rm -f $@.new || mv -f $@.new $@
$(B)/src/paths.o $(B)/src/help.o: $(B)/config.h

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(B)/libphoneboot.a: $(LIB_OBJ)
	ar rcs $@ $^

phoneboot: $(CLI_OBJ) $(B)/libphoneboot.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(PKG_LIBS)

# The man page and the completion, made by the binary from its tables
# (src/opts.c, src/main.c); docs/phoneboot.1 is kept in git for readers.
docs/phoneboot.1: phoneboot
	./phoneboot --man > $@
$(B)/phoneboot.bash: phoneboot
	./phoneboot --completion=bash > $@

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/profiles \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR)
	install -m 755 phoneboot $(DESTDIR)$(BINDIR)/phoneboot
	install -m 644 profiles/*.ini $(DESTDIR)$(DATADIR)/profiles/
	install -m 644 docs/phoneboot.1 $(DESTDIR)$(MANDIR)/man1/phoneboot.1
	install -m 644 $(B)/phoneboot.bash $(DESTDIR)$(BASHCOMPDIR)/phoneboot

# Only what install put there: a profile added to the installed catalog stays.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/phoneboot $(DESTDIR)$(MANDIR)/man1/phoneboot.1 \
	  $(DESTDIR)$(BASHCOMPDIR)/phoneboot
	rm -f $(addprefix $(DESTDIR)$(DATADIR)/profiles/,$(notdir $(wildcard profiles/*.ini)))
	-rmdir $(DESTDIR)$(DATADIR)/profiles $(DESTDIR)$(DATADIR) 2>/dev/null

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
MOCK_SIPREG := tests/mock/sipreg.c tests/mock/sipreg_msg.c tests/mock/sipreg_krb.c
$(B)/unit/test_mock_sipreg $(B)/asan/test_mock_sipreg: $(MOCK_SIPREG)
$(B)/unit/test_engine $(B)/asan/test_engine: tests/mock/dnsd.c $(MOCK_SIPREG)
$(B)/unit/test_time_devupdate $(B)/asan/test_time_devupdate: tests/mock/dnsd.c $(MOCK_SIPREG) \
  tests/mock/sntpd.c tests/mock/httpd.c
$(B)/unit/test_fleet $(B)/asan/test_fleet: tests/mock/dnsd.c $(MOCK_SIPREG)
# The Kerberos sign-in against a real MIT KDC (tests/integration/kerberos.sh
# starts it; make krb-test).
$(B)/integration/test_kerberos: tests/integration/test_kerberos.c $(B)/libphoneboot.a \
  tests/mock/dnsd.c $(MOCK_SIPREG) tests/mock/mock_ldap.c tests/mock/httpd.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -fvisibility=default -o $@ $^ $(PKG_LIBS) -lcmocka
krb-test: $(B)/integration/test_kerberos $(FIXTURES)
	@bash tests/integration/kerberos.sh

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

# The torture build: the library a third time, under ASan+UBSan, with every
# allocation of its own counted (tests/torture/alloc.h, as curl's memdebug);
# the run fails each one in turn during a boot against the mock servers.
TORTURE_SRC := tests/torture/test_torture.c tests/torture/alloc.c tests/mock/dnsd.c \
               tests/mock/mock_ldap.c $(MOCK_SIPREG)
$(B)/torture/lib.a: $(LIB_SRC) tests/torture/alloc.h
	@rm -rf $(B)/torture/obj $@ && mkdir -p $(B)/torture/obj
	cd $(B)/torture/obj && for f in $(LIB_SRC); do \
	  $(CC) $(addprefix -I$(CURDIR)/,include lib) -D_GNU_SOURCE $(ALL_CFLAGS) $(SAN) -O1 \
	    -include $(CURDIR)/tests/torture/alloc.h \
	    -c $(CURDIR)/$$f -o $$(echo $$f | tr / _).o || exit 1; done
	ar rcs $@ $(B)/torture/obj/*.o
$(B)/torture/test_torture: $(TORTURE_SRC) tests/torture/torture.h $(B)/torture/lib.a
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(SAN) -O1 -o $@ $(TORTURE_SRC) $(B)/torture/lib.a \
	  $(PKG_LIBS)
torture: $(B)/torture/test_torture $(FIXTURES)
	@PB_FIXTURES=$(CURDIR)/$(B)/fixtures PB_PROFILES=$(CURDIR)/profiles \
	  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(B)/torture/test_torture

# The command itself under ASan+UBSan, for the integration tests.
$(B)/asan/phoneboot: $(CLI_SRC) $(B)/asan/lib.a $(B)/config.h
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(SAN) -O1 -o $@ $(CLI_SRC) $(B)/asan/lib.a $(PKG_LIBS)
	ln -sfn $(CURDIR)/profiles $(B)/asan/profiles

unit: $(UNIT:%=$(B)/unit/%) $(FIXTURES) phoneboot
	@sh tests/run-unit.sh $(B)/unit "$(UNIT)"
unit-asan: $(UNIT:%=$(B)/asan/%) $(FIXTURES)
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  sh tests/run-unit.sh $(B)/asan "$(UNIT)"

lint:
	@sh scripts/lint.sh

cli-tests: all $(FIXTURES)
	@bash tests/cli/run.sh
install-test: all
	@bash tests/cli/install.sh
browser-test: phoneboot
	@bash tests/browser/run.sh

# The lab's own tests: real servers, so root and the lab packages are needed.
lab-test: phoneboot $(B)/asan/phoneboot
	@if [ "$$(id -u)" = 0 ] && command -v kamailio >/dev/null && command -v slapd >/dev/null; then \
	  bash lab/test-all && bash lab/test-ad && \
	  PB_BIN=$(B)/asan/phoneboot ASAN_OPTIONS=exitcode=86:detect_leaks=1 \
	  UBSAN_OPTIONS=exitcode=86 bash tests/integration/logon.sh && \
	  PB_BIN=$(B)/asan/phoneboot ASAN_OPTIONS=exitcode=86:detect_leaks=1 \
	  UBSAN_OPTIONS=exitcode=86 bash tests/integration/dhcp.sh && \
	  PB_BIN=$(B)/asan/phoneboot ASAN_OPTIONS=exitcode=86:detect_leaks=1 \
	  UBSAN_OPTIONS=exitcode=86 bash tests/integration/fleet.sh && \
	  PB_BIN=$(B)/asan/phoneboot ASAN_OPTIONS=exitcode=86:detect_leaks=1 UBSAN_OPTIONS=exitcode=86 bash tests/integration/time.sh && \
	  PB_BIN=$(B)/asan/phoneboot ASAN_OPTIONS=exitcode=86:detect_leaks=1 \
	  UBSAN_OPTIONS=exitcode=86 bash tests/integration/ad.sh; \
	else echo "lab-test: skipped (needs root and scripts/install-deps.sh lab)"; fi

check: all lint unit unit-asan torture cli-tests install-test browser-test fuzz-replay krb-test lab-test
	@echo "make check: done"

# ---- fuzzing (clang) ----
FUZZERS := fuzz_cert fuzz_profile fuzz_sip fuzz_digest fuzz_dhcp
FUZZERS += fuzz_ntlm_challenge fuzz_sipae fuzz_sntp fuzz_ucupdate fuzz_spnego fuzz_kdc fuzz_certsrv
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
	  python3 bench/bench_fleet.py && python3 bench/bench_inflight.py && \
	  python3 bench/bench_ntlm.py && \
	  lab/lab up --slapd --netns >/dev/null && ip netns exec labphone $(B)/bench/bench_dhcp veth-phone 100 10 20; fi

clean:
	rm -rf $(B) phoneboot

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# ---- the lab's MS-SIPAE registrar and its test client (lab/registrar) ----
# Built on demand by lab/lab up --ad; needs scripts/install-deps.sh lab.
LAB_REG_CFLAGS = -std=c11 -D_GNU_SOURCE -O2 -g $(WARN) \
  $(shell pkg-config --cflags openssl krb5-gssapi wbclient 2>/dev/null)
$(B)/lab/sipae-registrar: lab/registrar/registrar.c lab/registrar/sipae.c lab/registrar/gssntlm.c \
  lab/registrar/gsskrb.c lab/registrar/sipmsg.c lab/registrar/sipae.h lab/registrar/gssntlm.h \
  lab/registrar/gsskrb.h lab/registrar/sipmsg.h
	@mkdir -p $(dir $@)
	$(CC) $(LAB_REG_CFLAGS) -o $@ $(filter %.c,$^) \
	  $(shell pkg-config --libs openssl wbclient krb5-gssapi 2>/dev/null) -ldl
$(B)/lab/sipae-client: lab/registrar/client.c lab/registrar/sipmsg.c lab/registrar/sipmsg.h
	@mkdir -p $(dir $@)
	$(CC) $(LAB_REG_CFLAGS) -o $@ $(filter %.c,$^) \
	  $(shell pkg-config --libs openssl krb5-gssapi 2>/dev/null)
.PHONY: lab-tools
lab-tools: $(B)/lab/sipae-registrar $(B)/lab/sipae-client
$(B)/lab/fuzz_sipmsg: lab/registrar/fuzz_sipmsg.c lab/registrar/sipmsg.c lab/registrar/sipmsg.h
	@mkdir -p $(dir $@)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -o $@ $(filter %.c,$^)
.PHONY: lab-fuzz
lab-fuzz: $(B)/lab/fuzz_sipmsg
	@mkdir -p $(B)/lab/corpus && printf 'REGISTER sip:corp.example SIP/2.0\r\nVia: SIP/2.0/TLS a\r\nFrom: <sip:alice@corp.example>;tag=1\r\nTo: <sip:alice@corp.example>\r\nCall-ID: c\r\nCSeq: 1 REGISTER\r\nAuthorization: NTLM qop="auth", opaque="AB", gssapi-data="TlRMTVNTUAAB", response="0100"\r\nContent-Length: 0\r\n\r\n' > $(B)/lab/corpus/seed
	$(B)/lab/fuzz_sipmsg -max_total_time=$(FUZZ_SECONDS) -max_len=4096 $(B)/lab/corpus
