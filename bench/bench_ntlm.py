#!/usr/bin/env python3
"""bench_ntlm: NTLM fleets beside a Digest fleet, in the lab's AD mode
(issue 12: "an NTLM fleet against the MS-SIPAE registrar is measured too").

In one `lab/lab up --ad --users N` (Samba AD DC with N users added in bulk,
lab/lab.d/ad-users.sh; lab/registrar's MS-SIPAE registrar as pool and edge;
Kamailio as the Digest registrar on its own address), full boots of N phones
each, one row after the other:

  1. Digest: generic-modern, internal DNS view -> Kamailio (proxy), Digest;
     the directory (StartTLS, simple bind) is Samba
  2. NTLM, internal: yealink-t4x-sfb (lpe flow), internal DNS view -> the
     pool, MS-SIPAE NTLM checked by Samba through winbind
  3. NTLM, edge: polycom-cx700-ocpe, external DNS view -> the edge (the
     CX700 fails the internal chain by design; lab/README.md)

For each: boots per second; phoneboot's CPU per boot (rusage); the CPU per
registration (signed-in phone) of Kamailio's process group and of the
MS-SIPAE registrar's and Samba's process groups together (from /proc).

Needs root and the lab's packages (scripts/install-deps.sh lab). Takes the
lab lock itself; brings the lab up and down.
    python3 bench/bench_ntlm.py [N]        (default N=1000)
Environment: PB_BIN (default ./phoneboot), CONC (default 10: at 50 the lab's
Samba, one process, answers some StartTLS requests after the 2 s timeout)."""
import os, re, resource, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlab import hold_lab_lock, lab_up, pid_of, group_cpu, TOP  # noqa: E402

hold_lab_lock(__file__)
N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
CONC = int(os.environ.get("CONC", "10"))
PB = os.environ.get("PB_BIN", "./phoneboot")


try:
    t0 = time.perf_counter()
    env = lab_up("--ad", "--scenario", "founding", "--users", str(N))
    up_s = time.perf_counter() - t0
    kam = {pid_of("kamailio")}
    sipae = {pid_of("registrar"), pid_of("samba")}
    I, E = env["PHONEBOOT_DNS_INTERNAL"], env["PHONEBOOT_DNS_EXTERNAL"]
    rows = [("Digest (generic-modern, internal -> Kamailio)", "generic-modern", I),
            ("NTLM (yealink-t4x-sfb, internal -> pool)", "yealink-t4x-sfb", I),
            ("NTLM (polycom-cx700-ocpe, external -> edge)", "polycom-cx700-ocpe", E)]
    results = []
    for name, prof, dns in rows:
        argv = [PB, "fleet", "--count", str(N), "--identity", env["PHONEBOOT_LAB_USER_FORMAT"],
                "--profile", prof, "--dns", dns, "--concurrency", str(CONC), "--attempts", "1",
                "--progress", "none"]
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        k0, s0 = group_cpu(kam), group_cpu(sipae)
        t = time.perf_counter()
        out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=1800).stdout
        wall = time.perf_counter() - t
        k1, s1 = group_cpu(kam), group_cpu(sipae)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        m = re.search(r"outcomes: signed-in (\d+)", out)
        regs = int(m.group(1)) if m else 0
        causes = re.findall(r"^\s+(\d+)\s+(\S+ / \S+)", out, re.M)
        results.append((name, regs, wall, cpu, k1 - k0, s1 - s0, causes))
    print("bench_ntlm: N=%d, concurrency %d, lab AD mode (up with %d users in %.1f s), %d CPUs"
          % (N, CONC, N, up_s, os.cpu_count()))
    print("%-46s %6s %8s %13s %14s %18s" % ("", "signed", "boots/s", "client CPU", "Kamailio CPU",
                                            "MS-SIPAE+Samba CPU"))
    for name, regs, wall, cpu, k, s, causes in results:
        d = max(regs, 1)
        print("%-46s %6d %8.1f %10.3f ms %11.3f ms %15.3f ms" % (name, regs, N / wall,
                                                                 cpu * 1e3 / N, k * 1e3 / d,
                                                                 s * 1e3 / d))
        for n, c in causes[:3]:
            print("%-46s   not signed in: %s %s" % ("", n, c))
    print("(client CPU per boot; the registrars' CPU per signed-in phone: each process "
          "group's CPU over the row, whichever registrar the row used)")
finally:
    os.chdir(TOP)
    subprocess.run(["lab/lab", "down"], capture_output=True)
