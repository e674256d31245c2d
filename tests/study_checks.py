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
