#!/usr/bin/env python3
"""Benchmark: one full logon against the lab (generic-modern, internal DNS,
signed in), phoneboot against the same checks done with standard tools in
one script (dig for the two SRV records, ldapsearch, openssl s_client, and
a REGISTER: lab/sipreg.py, as sipsak cannot be kept off the system resolver
(lab REPORT 9.3)). Wall time and CPU of the children, measured in the same
run. Aim (issue 4): 10x faster than the script, < 30 ms of phoneboot's CPU.
Run as root after `lab/lab up --slapd`; prints figures only."""
import os, resource, subprocess, sys, time

N = int(os.environ.get("N", "20"))
env = dict(os.environ)
out = subprocess.run(["lab/lab", "env"], capture_output=True, text=True, check=True).stdout
for line in out.splitlines():
    k, v = line.replace("export ", "").split("=", 1)
    env[k] = v
I, D, U = env["PHONEBOOT_DNS_INTERNAL"], env["PHONEBOOT_DOMAIN"], env["PHONEBOOT_USER"]
POOL, DC = env["PHONEBOOT_LAB_POOL"], env["PHONEBOOT_LAB_DC"]
pb = [os.environ.get("PB_BIN", "./phoneboot"), "logon", "%s@%s" % (U, D),
      "--profile", "generic-modern", "--dns", I]
base = "cn=Certification Authorities,cn=Public Key Services,cn=Services,cn=Configuration,dc=corp,dc=example"
script = ("dig @%s +short _ldap._tcp.dc._msdcs.%s SRV >/dev/null && "
          "ldapsearch -x -LLL -H ldap://%s -b '%s' cACertificate >/dev/null && "
          "dig @%s +short _sipinternaltls._tcp.%s SRV >/dev/null && "
          "echo | openssl s_client -connect %s:5061 -CAfile %s -verify_return_error >/dev/null 2>&1 && "
          "SIPREG_PASSWORD=\"$PHONEBOOT_PASSWORD\" python3 lab/sipreg.py %s 5061 %s %s >/dev/null"
          % (I, D, DC, base, I, D, POOL, env["PHONEBOOT_LAB_INTERNAL_ROOT"], POOL, U, D))

def measure(argv, shell=False):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    for _ in range(N):
        p = subprocess.run(argv, shell=shell, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        if p.returncode != 0:
            sys.exit("bench_logon: %r failed (exit %d): is the lab up (founding)?" % (argv, p.returncode))
    t = (time.perf_counter() - t0) / N
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = ((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)) / N
    return t, cpu

pt, pc = measure(pb)
st, sc = measure(script, shell=True)
print("bench_logon: phoneboot logon (every step of the flow, signed in): %.1f ms wall, %.1f ms CPU per logon (mean of %d)" % (pt * 1e3, pc * 1e3, N))
print("bench_logon: the same checks with dig/ldapsearch/openssl/python: %.1f ms wall, %.1f ms CPU" % (st * 1e3, sc * 1e3))
print("bench_logon: phoneboot is %.1fx faster (aim >= 10x); its CPU %.1f ms (aim < 30 ms)" % (st / pt, pc * 1e3))
