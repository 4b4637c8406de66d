#!/usr/bin/env python3
"""bench_inflight: many phones in flight at once against the lab (issue 12:
"10,000 phones in flight without growth in file descriptors or memory").

Boots WAVES x C phones (full boots, generic-modern, internal DNS view, the
lab's Kamailio) with C in flight at once, and samples every phoneboot
process's descriptors and resident memory from /proc four times a second.
Prints: phones in flight at the peak, boots per second, the outcomes and
their causes, each process's peak descriptors and descriptors at the start
and at the end, its peak RSS and RSS per phone in flight, and for each
third of the run its peak RSS and descriptors: RSS (glibc's high-water
mark) follows the phones that hold a connection at once, not the phones
finished, when nothing leaks.

One process holds at most (hard RLIMIT_NOFILE - 64) / 2 phones in flight
(phoneboot's bound: two descriptors per phone plus 64, checked up front);
a C above that is split over P processes, each a shard (--shard K/P) of
the same phones, as docs/fleet.md shards a fleet over machines.

Needs root and the lab's packages. Takes the lab lock itself, brings the lab
up with --users WAVES*C and down at the end.
    python3 bench/bench_inflight.py [C [WAVES]]     (default 10000 3)
Environment: PB_BIN (default ./phoneboot); RATE, boots started per second
over all processes (default 1500: the lab's Kamailio, one TLS worker, takes
about 750 new TLS connections a second); TIMEOUT, phoneboot's --timeout in
ms (default 10000)."""
import os, re, resource, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlab import hold_lab_lock, lab_up, TOP  # noqa: E402

hold_lab_lock(__file__)
C = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
WAVES = int(sys.argv[2]) if len(sys.argv) > 2 else 3
PB = os.environ.get("PB_BIN", "./phoneboot")
RATE = float(os.environ.get("RATE", "1500"))
TIMEOUT = int(os.environ.get("TIMEOUT", "10000"))
N = C * WAVES
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
if hard == resource.RLIM_INFINITY:
    hard = 1 << 20
per_proc = max(1, (hard - 64) // 2)
P = (C + per_proc - 1) // per_proc


def sample(pid):
    """(descriptors, RSS KiB) of a live process, or None."""
    try:
        fds = len(os.listdir("/proc/%d/fd" % pid))
        m = re.search(r"VmRSS:\s+(\d+)", open("/proc/%d/status" % pid).read())
        return fds, int(m.group(1))
    except (OSError, AttributeError):
        return None


try:
    env = lab_up("--slapd", "--scenario", "founding", "--users", str(N))
    common = ["--identity", env["PHONEBOOT_LAB_USER_FORMAT"], "--profile", "generic-modern",
              "--dns", env["PHONEBOOT_DNS_INTERNAL"], "--timeout", str(TIMEOUT), "--attempts", "1"]
    # the baseline: peak RSS of 50 phones booted one at a time
    one = subprocess.Popen([PB, "fleet", "--count", "50", "--concurrency", "1", "--progress",
                            "none"] + common, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    base_rss = 0
    while one.poll() is None:
        s = sample(one.pid)
        base_rss = max(base_rss, s[1] if s else 0)
        time.sleep(0.02)
    procs = []
    t0 = time.perf_counter()
    for k in range(P):
        argv = [PB, "fleet", "--count", str(N), "--concurrency", str((C + P - 1) // P),
                "--rate", "%g" % (RATE / P), "--progress", "lines", "--interval", "1"] + common
        if P > 1:
            argv += ["--shard", "%d/%d" % (k, P)]
        procs.append(subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))
    series = {p.pid: [] for p in procs}       # (t, fds, rss)
    deadline = t0 + 1800
    while any(p.poll() is None for p in procs) and time.perf_counter() < deadline:
        for p in procs:
            s = sample(p.pid) if p.poll() is None else None
            if s:
                series[p.pid].append((time.perf_counter() - t0,) + s)
        time.sleep(0.25)
    outs = []
    for p in procs:
        if p.poll() is None:
            p.kill()
        out, err = p.communicate(timeout=60)
        outs.append((p, out, err))
    wall = time.perf_counter() - t0

    signed = failed = 0
    causes = {}
    inflight = {}                              # second -> total in flight
    for p, out, err in outs:
        m = re.search(r"outcomes: signed-in (\d+) failed (\d+) loop (\d+) cancelled (\d+) "
                      r"internal-error (\d+)", out)
        if m:
            signed += int(m.group(1))
            failed += sum(int(m.group(i)) for i in range(2, 6))
        for m in re.finditer(r"^\s+(\d+)\s+(\S+ / \S+)", out, re.M):
            causes[m.group(2)] = causes.get(m.group(2), 0) + int(m.group(1))
        for i, m in enumerate(re.finditer(r"in flight (\d+)", err)):
            inflight[i] = inflight.get(i, 0) + int(m.group(1))
    print("bench_inflight: %d phones, %d in flight at most (%d process%s of %d: hard "
          "RLIMIT_NOFILE %d), rate %g/s, --timeout %d ms, %d CPUs"
          % (N, C, P, "" if P == 1 else "es", (C + P - 1) // P, hard, RATE, TIMEOUT,
             os.cpu_count()))
    print("phones in flight at the peak (sum of the processes' statistics lines): %d"
          % max(inflight.values() or [0]))
    print("boots: %d signed in, %d not, in %.1f s: %.0f boots/s"
          % (signed, failed, wall, (signed + failed) / wall))
    for c, n in sorted(causes.items(), key=lambda x: -x[1])[:5]:
        print("  %6d  %s" % (n, c))
    print("RSS with one phone in flight (50 booted one at a time): %d KiB" % base_rss)
    for p, out, err in outs:
        s = series[p.pid]
        if not s:
            continue
        peak_fds = max(x[1] for x in s)
        peak_rss = max(x[2] for x in s)
        span = s[-1][0]
        part = [[x for x in s if k * span / 3 <= x[0] <= (k + 1) * span / 3] for k in range(3)]
        rss3 = [max([x[2] for x in q] or [0]) for q in part]
        fds3 = [max([x[1] for x in q] or [0]) for q in part]
        print("process %d: descriptors peak %d, at the start %d, at the end %d; RSS peak %d KiB: "
              "%.1f KiB per phone in flight"
              % (p.pid, peak_fds, s[0][1], s[-1][1], peak_rss,
                 (peak_rss - base_rss) / ((C + P - 1) // P)))
        # RSS is glibc's high-water mark: it follows the phones holding a
        # connection at once (descriptors), which grow while the
        # registrar falls behind; a leak would grow with the phones
        # finished instead (KiB per descriptor stays put without one)
        print("  each third of the run: RSS peak %s KiB, descriptors peak %s, KiB per descriptor "
              "above one phone's %s" % (" / ".join(str(x) for x in rss3),
                                        " / ".join(str(x) for x in fds3),
                                        " / ".join("%.0f" % ((r - base_rss) / max(f, 1))
                                                   for r, f in zip(rss3, fds3))))
finally:
    os.chdir(TOP)
    subprocess.run(["lab/lab", "down"], capture_output=True)
