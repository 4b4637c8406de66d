#!/bin/bash
# make install into a temporary DESTDIR, then the installed phoneboot run
# from another directory: it finds its catalog without flags (and
# PHONEBOOT_PROFILES overrides it), its man page and completion are there;
# a moved tree still works; make uninstall removes what install put there
# and nothing else. Prints "install: N passed, N failed".
cd "$(dirname "$0")/../.." || exit 2
top=$(pwd)
pass=0; fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
make -s install DESTDIR="$d" PREFIX=/usr/local >"$d/make.log" 2>&1 || { cat "$d/make.log"; ko "make install"; }
pre=$d/usr/local
[ -x "$pre/bin/phoneboot" ] && ok || ko "binary installed"
[ -f "$pre/share/phoneboot/profiles/polycom-cx700-ocpe.ini" ] && ok || ko "catalog installed"
[ "$(ls "$pre/share/phoneboot/profiles" | wc -l)" = "$(ls profiles/*.ini | wc -l)" ] && ok || ko "every profile installed"
MANWIDTH=100 man -l "$pre/share/man/man1/phoneboot.1" 2>/dev/null | grep -q 'phoneboot logon USER@DOMAIN' && ok || ko "man page installed and renders"
[ -f "$pre/share/bash-completion/completions/phoneboot" ] && ok || ko "completion installed"
[ ! -e "$pre/lib" ] && [ ! -e "$pre/include" ] && ok || ko "the library is not installed (README: not yet a stable API)"

cd "$d" || exit 2
env -u PHONEBOOT_PROFILES "$pre/bin/phoneboot" profiles >out 2>err && grep -q polycom-cx700-ocpe out \
	&& ok || ko "installed binary from another directory finds its catalog: $(cat err)"
env -u PHONEBOOT_PROFILES "$pre/bin/phoneboot" cert --profile polycom-cx700-ocpe "$top/build/fixtures/chain-legacy.pem" >/dev/null 2>err \
	&& ok || ko "installed cert with a catalog profile: $(cat err)"
mkdir cat && cp "$top/profiles/generic-modern.ini" cat/
PHONEBOOT_PROFILES=$d/cat "$pre/bin/phoneboot" profiles >out 2>&1 && grep -q generic-modern out && ! grep -q polycom out \
	&& ok || ko "PHONEBOOT_PROFILES overrides the installed catalog"
cp -a "$pre" "$d/moved"
env -u PHONEBOOT_PROFILES "$d/moved/bin/phoneboot" profiles polycom-cx700-ocpe >out 2>&1 && grep -q "$d/moved/bin/../share/phoneboot/profiles" out \
	&& ok || ko "a moved tree finds its own catalog: $(head -3 out)"
# the completion, as bash runs it
out=$(PATH=$pre/bin:$PATH bash -c '
	. "$1/share/bash-completion/completions/phoneboot"
	comp() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _phoneboot; echo "${COMPREPLY[*]}"; }
	echo "cmd: $(comp phoneboot lo)"
	echo "opt: $(comp phoneboot logon --alt)"
	echo "prof: $(comp phoneboot cert --profile polycom-c)"
	echo "auth: $(comp phoneboot logon --auth n)"
	echo "cert: $(comp phoneboot cert --t)"' _ "$pre" 2>&1)
grep -q '^cmd: logon$' <<<"$out" && grep -q '^opt: --alt-dns$' <<<"$out" &&
	grep -q '^prof: polycom-cx700-ocpe$' <<<"$out" && grep -q '^auth: ntlm$' <<<"$out" &&
	grep -q '^cert: --timeout --time --trust$' <<<"$out" && ok || ko "bash completion: $out"
cd "$top" || exit 2

echo '[device]' > "$pre/share/phoneboot/profiles/mine.ini"
make -s uninstall DESTDIR="$d" PREFIX=/usr/local >/dev/null 2>&1 || ko "make uninstall"
left=$(cd "$d" && find usr -type f)
[ "$left" = "usr/local/share/phoneboot/profiles/mine.ini" ] && ok || ko "uninstall leaves only the user's profile: $left"
echo "install: $pass passed, $fail failed"
[ "$fail" = 0 ]
