#!/usr/bin/env python3
"""Output folders and temporary files survive interruptions, full disks and odd folders
(issue 18; docs/output-folders.md).

usage: hardening_outputs.py RWE SOURCE_DIR WORK_DIR

Each check prints `ok <name>` or `FAIL <name>: why`; the exit status is 1 when one failed.
Works as root or as an ordinary user: a folder is made unwritable with chattr +i (root) or
chmod (others); a mount point needs `unshare` (skipped, and said so, when it is missing).
"""
import hashlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

RWE, SOURCE, WORK = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
STUDY_A = SOURCE / "studies" / "thp-first-line.toml"
STUDY_B = SOURCE / "studies" / "thp-vs-th.toml"
failures = []


def check(name, condition, why=""):
    print(("ok " if condition else "FAIL ") + name + ("" if condition else ": " + why), flush=True)
    if not condition:
        failures.append(name)


def rwe(*args, **kwargs):
    return subprocess.run([RWE, *map(str, args)], capture_output=True, text=True, **kwargs)


def snapshot(folder):
    """relative path -> sha256 of every file under folder (the bookkeeping files excluded)."""
    files = {}
    for path in sorted(Path(folder).rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and not rel.startswith(".rwe-"):
            files[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def litter(folder):
    return sorted(p.name for p in Path(folder).iterdir() if p.name.startswith(".rwe-staging") or ".import-" in p.name)


def unwritable(folder, on):
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i" if on else "-i", str(folder)], check=True)
    else:
        os.chmod(folder, 0o555 if on else 0o755)


shutil.rmtree(WORK, ignore_errors=True)
WORK.mkdir(parents=True)
os.chdir(WORK)
for seed, name in ((3, "reg"), (5, "reg2")):
    subprocess.run([RWE, "synth", "--profile", "thp-her2-mbc", "--patients", "300", "--seed", str(seed), "--out", name], check=True, capture_output=True)
    subprocess.run([RWE, "import", name, "--db", name + ".sqlite"], check=True, capture_output=True)

# References: the whole output of study A and of study B, each written into a new folder.
rwe("run", STUDY_A, "--db", "reg.sqlite", "--out", "ref-a")
rwe("run", STUDY_B, "--db", "reg.sqlite", "--out", "ref-b")
A, B = snapshot("ref-a"), snapshot("ref-b")
check("reference outputs differ", A != B and "results.json" in A and "results.json" in B)

# --out DIR keeps the user's files, removes rwe's old ones, writes the manifest.
shutil.copytree("ref-a", "out")
(Path("out") / "figures" / "my-plot.png").write_text("mine")
(Path("out") / "tables" / "my-table.csv").write_text("mine")
(Path("out") / "notes").mkdir()
(Path("out") / "notes" / "n.txt").write_text("mine")
r = rwe("run", STUDY_B, "--db", "reg.sqlite", "--out", "out")
after = snapshot("out")
user = {"figures/my-plot.png", "tables/my-table.csv", "notes/n.txt"}
check("run keeps the user's files", r.returncode == 0 and user <= set(after), r.stderr)
check("run replaces its own files whole", {k: v for k, v in after.items() if k not in user} == B,
      str(set(after) ^ set(B) - user))
manifest = set((Path("out") / ".rwe-output").read_text().split())
check("the manifest lists rwe's files only", manifest == set(B), str(manifest ^ set(B)))
check("no staging folder left", litter(".") == [] and litter("out") == [], str(litter(".")))

# A folder of the user's in the way of results.json: exit 2, nothing changed.
before = snapshot("out")
(Path("out") / "results.json").unlink()
(Path("out") / "results.json").mkdir()
before = snapshot("out")
r = rwe("run", STUDY_A, "--db", "reg.sqlite", "--out", "out")
check("an obstacle stops the run before any change",
      r.returncode == 2 and "results.json: a folder where rwe writes a file" in r.stderr and snapshot("out") == before,
      f"exit {r.returncode}: {r.stderr}")
(Path("out") / "results.json").rmdir()

# The parent of --out is not writable: the folder is replaced in place (journal).
Path("locked").mkdir()
rwe("run", STUDY_A, "--db", "reg.sqlite", "--out", "locked/out")
(Path("locked/out") / "mine.txt").write_text("mine")
unwritable("locked", True)
try:
    r = rwe("run", STUDY_B, "--db", "reg.sqlite", "--out", "locked/out")
finally:
    unwritable("locked", False)
got = snapshot("locked/out")
check("run into a folder whose parent is not writable", r.returncode == 0 and got.pop("mine.txt", None) == hashlib.sha256(b"mine").hexdigest()
      and got == B and litter("locked/out") == [], f"exit {r.returncode}: {r.stderr}")

# --out is a mount point (a small tmpfs in a mount namespace): replaced in place.
unshare = shutil.which("unshare")
namespace = None
if unshare:
    for flags in (["-m"], ["-r", "-m"]):
        if subprocess.run([unshare, *flags, "true"], capture_output=True).returncode == 0:
            namespace = [unshare, *flags]
            break
if namespace:
    Path("mnt").mkdir()
    script = f"""
set -e
mount -t tmpfs -o size=64m none mnt
{RWE} run {STUDY_A} --db reg.sqlite --out mnt >/dev/null 2>&1
{RWE} run {STUDY_B} --db reg.sqlite --out mnt >/dev/null 2>&1
cp -r mnt mnt-copy
"""
    r = subprocess.run([*namespace, "sh", "-c", script], capture_output=True, text=True)
    check("run into a mount point", r.returncode == 0 and snapshot("mnt-copy") == B, r.stderr)
    # A full disk: a 1 MiB tmpfs (the export needs 1.7 MiB).
    script = f"""
mount -t tmpfs -o size=1m none mnt
{RWE} export --db reg.sqlite --out mnt/exp
echo "exit $?"
ls -A mnt
"""
    r = subprocess.run([*namespace, "sh", "-c", script], capture_output=True, text=True)
    check("export onto a full disk fails and leaves nothing",
          "exit 2" in r.stdout and "No space left on device" in r.stderr and r.stdout.strip().endswith("exit 2"),
          r.stdout + r.stderr)
else:
    print("skipped: run into a mount point, export onto a 1 MiB disk (no usable unshare)")


def limited(size_blocks, *args):
    """rwe with a file size limit (ulimit -f): writes past it fail with EFBIG."""
    return subprocess.run(["sh", "-c", f'ulimit -f {size_blocks}; exec "$0" "$@"', RWE, *map(str, args)],
                          capture_output=True, text=True)


# A write that fails (file size limit): export, run and import fail with exit 2 and change nothing.
r = limited(100, "export", "--db", "reg.sqlite", "--out", "exp-full")
check("export past the file size limit: exit 2, no folder",
      r.returncode == 2 and "cannot write (File too large)" in r.stderr and not Path("exp-full").exists()
      and litter(".") == [], f"exit {r.returncode}: {r.stderr}")
rwe("export", "--db", "reg.sqlite", "--out", "exp")
old = snapshot("exp")
r = limited(100, "export", "--db", "reg2.sqlite", "--out", "exp", "--replace")
check("export --replace past the file size limit leaves the old registry whole",
      r.returncode == 2 and snapshot("exp") == old and litter(".") == [], f"exit {r.returncode}: {r.stderr}")
r = limited(200, "run", STUDY_B, "--db", "reg.sqlite", "--out", "ref-a")
check("run past the file size limit leaves the old output whole",
      r.returncode == 2 and snapshot("ref-a") == A and litter(".") == [], f"exit {r.returncode}: {r.stderr}")
r = limited(200, "import", "reg", "--db", "reg.sqlite", "--replace")
check("import past the file size limit leaves the old database",
      r.returncode == 2 and litter(".") == [] and sqlite3.connect("reg.sqlite").execute("select count(*) from patients").fetchone()[0] == 330,
      f"exit {r.returncode}: {r.stderr}")

# import --replace never overwrites one of its own source files.
source = hashlib.sha256(Path("reg/patients.csv").read_bytes()).hexdigest()
r = rwe("import", "reg", "--db", "reg/patients.csv", "--replace")
check("import --replace refuses its own source file",
      r.returncode == 2 and "is a file of the registry folder" in r.stderr
      and hashlib.sha256(Path("reg/patients.csv").read_bytes()).hexdigest() == source, f"exit {r.returncode}: {r.stderr}")

# Signals remove the temporary files; kill -9 leaves them to the next run.
# The signal comes once the import's temporary database exists, on a registry large enough
# (60,000 patients, a few seconds) that the import is still loading it (a fixed sleep raced
# a fast machine, where a small registry was loaded before the signal).
def wait_for_litter(process, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline and process.poll() is None and not litter("."):
        time.sleep(0.01)
    time.sleep(0.1)


subprocess.run([RWE, "synth", "--profile", "thp-her2-mbc", "--patients", "60000", "--seed", "9", "--out", "big"], check=True, capture_output=True)
for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    p = subprocess.Popen([RWE, "import", "big", "--db", "big.sqlite", "--replace"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_litter(p)
    seen = litter(".")
    p.send_signal(sig)
    p.wait()
    check(f"import: {sig.name} removes the temporary database", p.returncode == -sig and litter(".") == [],
          f"exit {p.returncode}, before {seen}, after {litter('.')}")
    p = subprocess.Popen([RWE, "run", STUDY_A, "--db", "reg.sqlite", "--out", "sig-out"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    p.send_signal(sig)
    p.wait()
    check(f"run: {sig.name} removes the staging folder", litter(".") == [] and (not Path("sig-out").exists() or snapshot("sig-out") == A),
          f"exit {p.returncode}, after {litter('.')}")

for sig in (signal.SIGINT, signal.SIGTERM):
    # A registry large enough (about 6 GB) that synth is still writing when the signal
    # comes: the signal is sent once its partial files appear (a fixed sleep raced a warm
    # page cache, where 200,000 patients took about a second).
    shutil.rmtree("synth-sig", ignore_errors=True)
    p = subprocess.Popen([RWE, "synth", "--profile", "thp-her2-mbc", "--patients", "1000000", "--seed", "2", "--out", "synth-sig"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline and p.poll() is None and not list(Path("synth-sig").glob("*.partial")):
        time.sleep(0.01)
    time.sleep(0.2)
    p.send_signal(sig)
    p.wait()
    partial = sorted(path.name for path in Path("synth-sig").glob("*.partial")) if Path("synth-sig").exists() else []
    check(f"synth: {sig.name} removes the partial files", p.returncode == -sig and partial == [], f"exit {p.returncode}, left {partial}")

# kill -9 at random moments: the old output whole or the new one whole, never a mix; the
# next run removes what the killed one left.
random.seed(18)
shutil.rmtree("out")
shutil.copytree("ref-a", "out")
mixed = []
for trial in range(12):
    study, expect_new = (STUDY_B, B) if trial % 2 == 0 else (STUDY_A, A)
    expect_old = A if expect_new is B else B
    p = subprocess.Popen([RWE, "run", study, "--db", "reg.sqlite", "--out", "out"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(random.uniform(0.5, 4.0))
    p.kill()
    p.wait()
    state = snapshot("out")
    if state not in (expect_old, expect_new):
        mixed.append(trial)
    if state != expect_new:  # finish the replacement, so that the next trial starts from a known state
        rwe("run", study, "--db", "reg.sqlite", "--out", "out")
check("run killed at random moments: old or new output, whole", mixed == [], f"mixed after trials {mixed}")
# The last trial's kill may come after the output is whole but before its staging folder is
# gone (then no repeat run follows inside the loop): one more run is "the next run".
r = rwe("run", STUDY_A, "--db", "reg.sqlite", "--out", "out")
check("the next run removes what a killed run left", r.returncode == 0 and litter(".") == [] and litter("out") == [], str(litter(".")))

lost = []
for trial in range(8):
    name = "reg2" if trial % 2 == 0 else "reg"
    p = subprocess.Popen([RWE, "import", name, "--db", "kill.sqlite", "--replace"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(random.uniform(0.05, 1.0))
    p.kill()
    p.wait()
    if Path("kill.sqlite").exists():
        try:
            sqlite3.connect("kill.sqlite").execute("select count(*) from import_info").fetchone()
        except sqlite3.Error as error:
            lost.append(f"{trial}: {error}")
r = rwe("import", "reg", "--db", "kill.sqlite", "--replace")
check("import killed at random moments: the database is old or new, whole", lost == [], str(lost))
check("the next import removes the killed imports' temporary files", r.returncode == 0 and litter(".") == [], str(litter(".")))

exports = {}
for name in ("reg", "reg2"):
    rwe("export", "--db", name + ".sqlite", "--out", "exp-" + name)
    exports[name] = snapshot("exp-" + name)
shutil.rmtree("exp")
rwe("export", "--db", "reg.sqlite", "--out", "exp")
mixed = []
for trial in range(8):
    name = "reg2" if trial % 2 == 0 else "reg"
    p = subprocess.Popen([RWE, "export", "--db", name + ".sqlite", "--out", "exp", "--replace"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(random.uniform(0.0, 0.15))
    p.kill()
    p.wait()
    if snapshot("exp") not in exports.values():
        mixed.append(trial)
    rwe("export", "--db", name + ".sqlite", "--out", "exp", "--replace")
check("export killed at random moments: old or new registry, whole", mixed == [], f"mixed after trials {mixed}")
check("no staging folder left after the exports", litter(".") == [], str(litter(".")))

print(f"{len(failures)} failed" if failures else "all passed")
sys.exit(1 if failures else 0)
