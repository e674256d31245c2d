"""What the Python study tests share: named checks that print `ok NAME` or `FAIL NAME: why`
and are counted, and a demo registry synthesized and imported once per work folder."""
import subprocess
from pathlib import Path


class Checks:
    def __init__(self):
        self.failures = []

    def __call__(self, name, condition, why=""):
        print(("ok " if condition else "FAIL ") + name + ("" if condition else ": " + str(why)[:2000]), flush=True)
        if not condition:
            self.failures.append(name)
        return condition

    def exit_status(self):
        return 1 if self.failures else 0


def demo_registry(rwe, work, profile, patients, seed=20221001):
    """The SQLite store of `rwe synth --profile PROFILE --patients N --seed SEED`, made
    under WORK the first time and reused after."""
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    db = work / "demo.sqlite"
    if not db.exists():
        subprocess.run([rwe, "synth", "--profile", profile, "--patients", str(patients), "--seed", str(seed), "--out", work / "demo"],
                       check=True, capture_output=True)
        subprocess.run([rwe, "import", work / "demo", "--db", db], check=True, capture_output=True)
    return db


def run_protocol(rwe, text, db, work, check):
    """Writes the protocol text under WORK, runs it into WORK/out (emptied first) and checks
    that it ran; returns (out folder, results.json, stderr), or exits when it did not run."""
    import json
    import shutil
    import sys
    work = Path(work)
    protocol = work / "protocol.toml"
    protocol.write_text(text)
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    r = subprocess.run([rwe, "run", protocol, "--db", db, "--out", out], capture_output=True, text=True)
    if not check("rwe run", r.returncode == 0, r.stderr):
        sys.exit(1)
    return out, json.loads((out / "results.json").read_text()), r.stderr


def km_risk_at_end(rows):
    """1 - the Kaplan-Meier survival after the last time, of (time, event) pairs."""
    import itertools
    surv = 1.0
    at_risk = len(rows)
    for _, group in itertools.groupby(sorted(rows), key=lambda r: r[0]):
        group = list(group)
        deaths = sum(1 for _, e in group if e)
        if at_risk > 0:
            surv *= 1 - deaths / at_risk
        at_risk -= len(group)
    return 1 - surv


def e_value(hr, lower, upper, common):
    """VanderWeele & Ding (2017) E-value of a hazard ratio and of its CI limit nearer 1; for a
    common outcome the HR is first turned into a risk ratio, (1 - 0.5^sqrt(HR)) /
    (1 - 0.5^sqrt(1/HR)) (VanderWeele 2020)."""
    import math

    def rr(h):
        return (1 - 0.5 ** math.sqrt(h)) / (1 - 0.5 ** math.sqrt(1 / h)) if common else h

    def ev(r):
        r = r if r >= 1 else 1 / r
        return r + math.sqrt(r * (r - 1))

    point, lo, hi = rr(hr), rr(lower), rr(upper)
    limit = 1.0 if lo <= 1 <= hi else ev(lo if point > 1 else hi)
    return ev(point), limit


def close(a, b, tol=1e-6):
    """a and b equal within tol relative to max(1, |b|); None equals None only."""
    if a is None or b is None:
        return a is None and b is None
    return isinstance(a, (int, float)) and isinstance(b, (int, float)) and abs(a - b) <= tol * max(1.0, abs(b))


def all_close(xs, ys, tol=1e-6):
    return len(xs) == len(ys) and all(close(x, y, tol) for x, y in zip(xs, ys))


def as_list(value):
    """R's toJSON writes a vector of one as a scalar."""
    return value if isinstance(value, list) else [value]


def r_script(body):
    """An R script: tests/study_checks.R (the shared helpers), then `body`."""
    return (Path(__file__).resolve().parent / "study_checks.R").read_text() + body
