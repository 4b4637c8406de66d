#!/usr/bin/env python3
"""Benchmark: an NTLM logon beside a Digest one, the same phone and path.

The CX700 profile signs in through the edge (external DNS view, so no
directory step), twice over:
  - Digest: `lab/lab up --slapd` (Kamailio on the edge), with --auth digest;
  - NTLM:   `lab/lab up` (AD) (the MS-SIPAE registrar on the edge,
            gss-ntlmssp and winbind checking the password), no override.
Wall time and CPU of the phoneboot processes (mean of N), measured in
one run. Needs root; brings the lab up and down itself (hold the lab
lock when others share the machine). Prints figures only."""
import os, resource, subprocess, sys, time

N = int(os.environ.get("N", "20"))
PB = os.environ.get("PB_BIN", "./phoneboot")

def lab(*args):
    subprocess.run(["lab/lab", *args], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)

def env_of():
    env = dict(os.environ)
    out = subprocess.run(["lab/lab", "env"], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        k, v = line.replace("export ", "").split("=", 1)
        env[k] = v.strip("'\"")
    return env

def measure(extra):
    env = env_of()
    argv = [PB, "logon", "%s@%s" % (env["PHONEBOOT_USER"], env["PHONEBOOT_DOMAIN"]),
            "--profile", "polycom-cx700-ocpe", "--dns", env["PHONEBOOT_DNS_EXTERNAL"],
            "--attempts", "1", *extra]
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    for _ in range(N):
        p = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        if p.returncode != 0:
            sys.exit("bench_auth: %s did not sign in (exit %d)" % (" ".join(argv), p.returncode))
    t = (time.perf_counter() - t0) / N
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = ((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)) / N
    return t * 1e3, cpu * 1e3

try:
    lab("up", "--slapd")
    dw, dc = measure(["--auth", "digest"])
    lab("down")
    lab("up", "--ad")
    nw, nc = measure([])
finally:
    lab("down")
print("bench_auth: CX700 through the edge, Digest (Kamailio):      %.1f ms wall, %.1f ms CPU per logon (mean of %d)" % (dw, dc, N))
print("bench_auth: CX700 through the edge, NTLM (MS-SIPAE, winbind): %.1f ms wall, %.1f ms CPU per logon (mean of %d)" % (nw, nc, N))
