#!/bin/bash
# The HTML report in a real browser: headless Chromium (Debian's chromium)
# loads the pages phoneboot renders from saved reports, with no console
# message (the page has no script, and its Content-Security-Policy turns
# any fetch into a console error), a DOM with one SVG arrow per exchange of
# the report, and a screenshot (build/browser/*.png) to look at.
# Runs as root without a terminal (CI): hence --no-sandbox.
# Prints "browser: N passed, N failed".
cd "$(dirname "$0")/../.." || exit 2
P=${PB_BIN:-./phoneboot}; R=tests/fixtures/reports; O=build/browser
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "PASS $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }
CHROMIUM=$(command -v chromium || command -v chromium-browser)
if [ -z "$CHROMIUM" ]; then
	echo "browser: chromium not installed (scripts/install-deps.sh lab), skipped"
	echo "browser: 0 passed, 0 failed"; exit 0
fi
rm -rf "$O"; mkdir -p "$O"
O=$(cd "$O" && pwd)
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# chrome PAGE.html MODE(--dump-dom|--screenshot=FILE) -> $O/PAGE.{dom,log}
chrome() {
	local page=$1 mode=$2 base; base=$O/$(basename "$page" .html)
	timeout 90 "$CHROMIUM" --headless --disable-gpu --no-sandbox --hide-scrollbars \
		--user-data-dir="$profile" --no-first-run --window-size=1400,1900 \
		--enable-logging=stderr --v=0 "$mode" "file://$page" \
		>"$base.dom" 2>"$base.log"
}
# Console messages, as Chromium logs them: "INFO:CONSOLE(1)] "Uncaught ..."
console() { grep -E ':CONSOLE[:(]|Uncaught' "$O/$(basename "$1" .html).log"; }

# the detector itself: a script error and a blocked fetch must be seen
printf '<!doctype html><html><body><script>nosuch();</script></body></html>' >"$O/control-js.html"
chrome "$O/control-js.html" --dump-dom
console "$O/control-js.html" | grep -q Uncaught && ok "control: a script error is seen" \
	|| ko "control: a script error went unseen ($(head -c 300 "$O/control-js.log"))"
# (the page phoneboot makes, with one image from the network)
"$P" report "$R/signed-in.json" --quiet --html "$O/control-fetch.html" >/dev/null
sed -i 's|<body>|<body><img src="http://192.0.2.1/x.png">|' "$O/control-fetch.html"
chrome "$O/control-fetch.html" --dump-dom
console "$O/control-fetch.html" | grep -q 'Content Security Policy' && ok "control: a fetch is blocked and seen" \
	|| ko "control: a fetch went unseen"

# a report whose every string is hostile: names, labels and facts come
# from the network
python3 - "$R/founding.json" "$O/hostile.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
evil = '<script>alert(1)</script>"\'><img src=x onerror=alert(2)>&amp;\u0007'
d['identity'] = 'mallory' + evil + '@corp.example'
d['profile']['name'] += evil
for e in d['exchanges'] + d['alternative']['exchanges']:
    e['label'] += evil
    e['peer'] += evil[:9] if e['peer'].startswith('ldap') else ''
for s in d['steps']:
    s['facts']['x'] = evil
    s['screen'] += evil
d['diagnosis']['summary'] += evil
d['diagnosis']['evidence'].append(evil)
d['remedies'][0]['summary'] += evil
json.dump(d, open(sys.argv[2], 'w'))
PY

for name in founding signed-in hostile; do
	src=$R/$name.json; [ -f "$src" ] || src=$O/$name.json
	page=$O/$name.html
	"$P" report "$src" --quiet --html "$page" >/dev/null; rc=$?
	[ -s "$page" ] && [ $rc -le 1 ] || { ko "$name: phoneboot report --html: exit $rc"; continue; }
	grep -qE '(src|href)="(https?:)?//' "$page" && ko "$name: the page refers to the network" \
		|| ok "$name: self-contained (no http reference)"
	chrome "$page" --dump-dom
	if console "$page" >/dev/null; then ko "$name: console messages:"; console "$page" | head -5
	else ok "$name: loaded with no console message"; fi
	# one arrow per exchange, per ladder; red ones where the report says failed
	python3 - "$src" "$O/$name.dom" <<'PY' && ok "$name: arrows = the report's exchanges, failures red" || ko "$name: arrows"
import json, sys
from html.parser import HTMLParser
d = json.load(open(sys.argv[1]))
want = {'ladder-boot': d['exchanges']}
if d.get('alternative'):
    want['ladder-alternative'] = d['alternative']['exchanges']
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.svg = None; s.n = {}; s.red = {}; s.scripts = 0; s.imgs = 0
    def handle_starttag(s, tag, a):
        a = dict(a)
        if tag == 'svg': s.svg = a.get('id')
        if tag == 'script': s.scripts += 1
        if tag == 'img': s.imgs += 1
        if tag == 'g' and s.svg and 'arrow' in a.get('class', '').split():
            s.n[s.svg] = s.n.get(s.svg, 0) + 1
            if 'fail' in a['class'].split(): s.red[s.svg] = s.red.get(s.svg, 0) + 1
    def handle_endtag(s, tag):
        if tag == 'svg': s.svg = None
p = P(); p.feed(open(sys.argv[2]).read())
bad = []
for k, ex in want.items():
    if p.n.get(k, 0) != len(ex): bad.append(f'{k}: {p.n.get(k, 0)} arrows, {len(ex)} exchanges')
    if p.red.get(k, 0) != sum(e['failed'] for e in ex): bad.append(f'{k}: red arrows')
if set(p.n) - set(want): bad.append(f'unexpected ladders {set(p.n) - set(want)}')
if p.scripts or p.imgs: bad.append(f'{p.scripts} script, {p.imgs} img elements: escaping failed')
print('   ', '; '.join(bad) if bad else f'arrows {p.n}')
sys.exit(1 if bad else 0)
PY
	chrome "$page" --screenshot="$O/$name.png"
	[ "$(stat -c %s "$O/$name.png" 2>/dev/null || echo 0)" -gt 20000 ] && ok "$name: screenshot $O/$name.png" \
		|| ko "$name: no screenshot"
done
# the hostile strings are shown as text
grep -q 'mallory&lt;script&gt;alert(1)&lt;/script&gt;' "$O/hostile.html" && ok "hostile: shown, escaped" || ko "hostile: not escaped as text"
echo "browser: $pass passed, $fail failed"
[ "$fail" = 0 ]
