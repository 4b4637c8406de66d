"""What the lab benchmarks share (bench_fleet.py, bench_ntlm.py,
bench_inflight.py): the lab's lock held for the whole run, the top of the
tree as the working directory, commands run for their output, the lab's
environment, and CPU seconds read from /proc."""
import os, subprocess, sys

HZ = os.sysconf("SC_CLK_TCK")
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def hold_lab_lock(script):
    """Run script again under flock(1) on the lab's lock unless a caller
    holds it (PB_LAB_LOCKED); then work from the top of the tree."""
    if not os.environ.get("PB_LAB_LOCKED"):
        env = dict(os.environ, PB_LAB_LOCKED="1")
        os.execvpe("flock", ["flock", "-w", "1200", "/tmp/pb-lab.lock", sys.executable,
                             os.path.abspath(script)] + sys.argv[1:], env)
    os.chdir(TOP)


def sh(*a, **kw):
    """A command's standard output; a failure raises."""
    return subprocess.run(list(a), check=True, capture_output=True, text=True, **kw).stdout


def lab_up(*args):
    """lab/lab up ARGS..., then the environment with what `lab/lab env` exports."""
    sh("lab/lab", "up", *args)
    env = dict(os.environ)
    for line in sh("lab/lab", "env").splitlines():
        k, v = line.replace("export ", "").split("=", 1)
        env[k] = v.strip("'")
    return env


def pid_of(name):
    """The pid a lab service wrote (lab/run/NAME.pid), or -1."""
    try:
        return int(open("lab/run/%s.pid" % name).read())
    except (OSError, ValueError):
        return -1


def group_cpu(pgids):
    """CPU seconds of every process whose process group is in pgids."""
    t = 0
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            f = open("/proc/%s/stat" % p).read()
        except OSError:
            continue
        rest = f[f.rindex(")") + 2:].split()
        if int(rest[2]) in pgids:
            t += int(rest[11]) + int(rest[12])
    return t / HZ


def proc_cpu(pid):
    """CPU seconds of one running process (all its threads)."""
    try:
        f = open("/proc/%d/stat" % pid).read()
    except OSError:
        return 0.0
    rest = f[f.rindex(")") + 2:].split()
    return (int(rest[11]) + int(rest[12])) / HZ
