#!/usr/bin/env python3
"""bench_fleet: phoneboot fleet against the lab's registrar (Kamailio, TLS,
Digest), side by side in one run (issue 12):

  1. phoneboot fleet, full boots (DNS, directory, trust, TLS, Digest, REGISTER)
  2. phoneboot fleet, SIP only (--skip locate-dc,download-root,install-root:
     locate-pool, connect, authenticate, register; the company root given
     as a device root instead of downloaded)
  3. SIPp (Debian sip-tester): REGISTER with Digest, one connection per
     call, at its best rate -- over TCP: Debian's SIPp is built without TLS
  4. the same SIPp over TLS: its TCP connections (one per call, -t tn)
     through stunnel4 in client mode to the registrar's TLS port, one TLS
     connection each; stunnel's CPU counted with SIPp's
  5. sipsak in a loop: one process per REGISTER with Digest, over TLS

For each: registrations per second; phoneboot's CPU per boot (rusage of the
child); the registrar's CPU per registration (utime+stime of Kamailio's
process group, from /proc); and phoneboot's memory per phone in flight
(peak RSS with many in flight less peak RSS with one, per phone).

Needs root and the lab's packages plus sip-tester and sipsak
(scripts/install-deps.sh lab). Takes the lab lock (/tmp/pb-lab.lock) itself,
brings the lab up with --users N and down at the end.
    python3 bench/bench_fleet.py [N]        (default N=2000)
Environment: PB_BIN (default ./phoneboot), CONC (default 50); PB_BIN_BEFORE
(another phoneboot binary, e.g. one built from an older commit) adds a row
of its full boots right after PB_BIN's, in the same lab, for before/after."""
import os, re, resource, shutil, socket, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlab import hold_lab_lock, lab_up, group_cpu, proc_cpu, TOP  # noqa: E402

hold_lab_lock(__file__)
N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
CONC = int(os.environ.get("CONC", "50"))
PB = os.environ.get("PB_BIN", "./phoneboot")


def measure(name, argv, regs_of, env, sample_rss=False, also_pids=()):
    """Run argv; wall, CPU of the child (and of also_pids, helpers of the
    client already running), registrar CPU, registrations."""
    a0 = sum(proc_cpu(x) for x in also_pids)
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    k0 = group_cpu({KAM})
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True)
    peak = 0
    if sample_rss:
        while p.poll() is None:
            try:
                m = re.search(r"VmRSS:\s+(\d+)", open("/proc/%d/status" % p.pid).read())
                peak = max(peak, int(m.group(1)))
            except (OSError, AttributeError):
                pass
            time.sleep(0.02)
    out, _ = p.communicate(timeout=1800)
    wall = time.perf_counter() - t0
    k1 = group_cpu({KAM})
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    cpu += sum(proc_cpu(x) for x in also_pids) - a0
    regs = regs_of(out, p.returncode)
    return dict(name=name, wall=wall, cpu=cpu, kcpu=k1 - k0, regs=regs, peak_kib=peak,
                rc=p.returncode)


def fleet_regs(out, rc):
    m = re.search(r"outcomes: signed-in (\d+)", out)
    return int(m.group(1)) if m else 0


lab_env = None
try:
    lab_env = lab_up("--slapd", "--scenario", "founding", "--users", str(N))
    KAM = int(open("lab/run/kamailio.pid").read())
    I, POOL, D = lab_env["PHONEBOOT_DNS_INTERNAL"], lab_env["PHONEBOOT_LAB_POOL"], lab_env["PHONEBOOT_DOMAIN"]
    PW = lab_env["PHONEBOOT_PASSWORD"]
    FMT = lab_env["PHONEBOOT_LAB_USER_FORMAT"]
    base = [PB, "fleet", "--count", str(N), "--identity", FMT, "--profile", "generic-modern",
            "--dns", I, "--progress", "none", "--attempts", "1"]
    results = []
    results.append(measure("phoneboot fleet, full boots", base + ["--concurrency", str(CONC)],
                           fleet_regs, lab_env))
    if os.environ.get("PB_BIN_BEFORE"):
        results.append(measure("  the same, PB_BIN_BEFORE", [os.environ["PB_BIN_BEFORE"]] + base[1:] +
                               ["--concurrency", str(CONC)], fleet_regs, lab_env))
    results.append(measure("phoneboot fleet, SIP only", base + [
        "--concurrency", str(CONC), "--skip", "locate-dc,download-root,install-root",
        "--device-roots", lab_env["PHONEBOOT_LAB_INTERNAL_ROOT"]], fleet_regs, lab_env))

    tmp = tempfile.mkdtemp(prefix="bench-fleet-")
    # SIPp: a REGISTER scenario with Digest. Debian's sip-tester 3.6.1 is
    # built without OpenSSL ("To use a TLS transport you must compile SIPp
    # with OpenSSL"), so it registers over TCP (Kamailio's pool :5060), one
    # TCP connection per registration (-t tn); and its [authentication]
    # keyword does not nest injection fields, so every call registers one
    # user (-au/-ap), each from its own connection and Contact.
    msg = ("REGISTER sip:%s SIP/2.0\n"
           "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]\n"
           "Max-Forwards: 70\n"
           "From: <sip:user0001@%s>;tag=[call_number]\n"
           "To: <sip:user0001@%s>\n"
           "Call-ID: [call_id]\n"
           "CSeq: %%d REGISTER\n"
           "Contact: <sip:user0001@[local_ip]:[local_port];transport=tcp>\n"
           "%%s"
           "Expires: 3600\n"
           "Content-Length: 0\n\n") % (D, D, D)
    with open(os.path.join(tmp, "reg.xml"), "w") as f:
        f.write('<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="register">\n'
                "<send><![CDATA[\n%s]]></send>\n<recv response=\"401\" auth=\"true\"/>\n"
                "<send><![CDATA[\n%s]]></send>\n<recv response=\"200\"/>\n</scenario>\n"
                % (msg % (1, ""), msg % (2, "[authentication]\n")))

    def sipp_regs(out, rc):
        m = re.search(r"Successful call\s*\|\s*\d+\s*\|\s*(\d+)", out or "")
        return int(m.group(1)) if m else (N if rc == 0 else 0)

    def sipp_argv(target):
        return ["sipp", target, "-sf", "reg.xml", "-t", "tn", "-au", "user0001",
                "-ap", PW, "-m", str(N), "-r", "5000", "-l", str(CONC), "-nostdin",
                "-timeout", "300", "-timeout_error", "-max_socket", str(CONC * 2 + 64),
                "-trace_screen", "-screen_file", os.path.join(tmp, "screen.log")]

    def sipp_screen(o, rc):
        f = os.path.join(tmp, "screen.log")
        return sipp_regs(open(f).read() if os.path.exists(f) else "", rc)

    if shutil.which("sipp"):
        os.chdir(tmp)
        results.append(measure("SIPp REGISTER, TCP (no TLS), Digest", sipp_argv("%s:5060" % POOL),
                               sipp_screen, dict(lab_env)))
        os.chdir(TOP)
    # SIPp over TLS: stunnel4 (client mode) takes each TCP connection of
    # SIPp's (-t tn: one per call) to the pool's TLS port as a TLS
    # connection of its own; its certificate checks are off, as the lab's
    # root is not SIPp's concern; no session resumption (each call a full
    # handshake, as each phone is another device). stunnel logs errors only.
    if shutil.which("sipp") and shutil.which("stunnel4"):
        if os.path.exists(os.path.join(tmp, "screen.log")):
            os.unlink(os.path.join(tmp, "screen.log"))
        conf = os.path.join(tmp, "stunnel.conf")
        with open(conf, "w") as f:
            f.write("foreground = yes\npid =\nsyslog = no\ndebug = 3\noutput = %s\n"
                    "[sip]\nclient = yes\naccept = 127.0.0.1:15061\nconnect = %s:5061\n"
                    "verifyChain = no\nsessionResume = no\n" % (os.path.join(tmp, "stunnel.log"), POOL))
        st = subprocess.Popen(["stunnel4", conf], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        for _ in range(100):            # bounded: 10 s for stunnel to listen
            try:
                socket.create_connection(("127.0.0.1", 15061), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        os.chdir(tmp)
        try:
            results.append(measure("SIPp REGISTER, TLS via stunnel, Digest",
                                   sipp_argv("127.0.0.1:15061"), sipp_screen, dict(lab_env),
                                   also_pids=(st.pid,)))
        finally:
            st.terminate()
            st.wait(timeout=10)
    os.chdir(TOP)

    # sipsak: one process per registration, sequential, over TLS. It
    # resolves the URI's host with the system resolver whatever -p says
    # (lab REPORT 9.3), and the realm is the From domain: it runs in a
    # mount namespace of its own whose /etc/hosts names the pool
    # corp.example. It takes the user name with its '@' unless -u.
    SIPSAK_N = min(N, 200)
    hosts = os.path.join(tmp, "hosts")
    with open(hosts, "w") as f:
        f.write("127.0.0.1 localhost\n%s %s\n" % (POOL, D))
    script = ("mount --bind %s /etc/hosts || exit 1; ok=0; for i in $(seq 1 %d); do "
              "u=$(printf 'user%%04d' $i); sipsak -U -i -C sip:$u@127.0.0.1:5099 "
              "-s sip:$u@%s:5061 --transport=tls --tls-ignore-cert-failure -u $u -a \"$PW\" "
              "-x 3600 -H 127.0.0.1 >/dev/null 2>&1 && ok=$((ok+1)); done; echo $ok"
              % (hosts, SIPSAK_N, D))
    if shutil.which("sipsak") and shutil.which("unshare"):
        results.append(measure("sipsak in a loop (TLS, Digest)",
                               ["unshare", "-m", "sh", "-c", script],
                               lambda o, rc: int(o.strip() or 0), dict(lab_env, PW=PW)))

    # memory per phone in flight: peak RSS with many in flight, less with one
    big = min(N, 1000)
    one = measure("rss, 1 in flight", base[:3] + ["200"] + base[4:] + ["--concurrency", "1"],
                  fleet_regs, lab_env, sample_rss=True)
    many = measure("rss, %d in flight" % big, base + ["--concurrency", str(big)], fleet_regs,
                   lab_env, sample_rss=True)
    per_phone = (many["peak_kib"] - one["peak_kib"]) / big

    print("bench_fleet: N=%d, concurrency %d, lab registrar Kamailio (TLS, Digest, 1 TLS worker), %d CPUs"
          % (N, CONC, os.cpu_count()))
    print("%-40s %8s %10s %14s %16s" % ("", "regs", "regs/s", "client CPU/reg", "registrar CPU/reg"))
    for r in results:
        regs = max(r["regs"], 1)
        print("%-40s %8d %10.1f %11.3f ms %13.3f ms" % (r["name"], r["regs"], r["regs"] / r["wall"],
                                                        r["cpu"] * 1e3 / regs, r["kcpu"] * 1e3 / regs))
    print("phoneboot memory per phone in flight: %.1f KiB (peak RSS %d KiB with %d in flight, %d KiB with 1)"
          % (per_phone, many["peak_kib"], big, one["peak_kib"]))
    full = results[0]
    print("aims: phoneboot CPU per full boot / registrar CPU per registration = %.2f (aim <= 0.2); "
          "memory per phone %.1f KiB (aim <= 64)" % (
              (full["cpu"] / max(full["regs"], 1)) / max(full["kcpu"] / max(full["regs"], 1), 1e-9),
              per_phone))
    shutil.rmtree(tmp, ignore_errors=True)
finally:
    os.chdir(TOP)
    subprocess.run(["lab/lab", "down"], capture_output=True)
