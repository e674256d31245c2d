#!/usr/bin/env python3
"""Hostile or broken input ends in a clear message with exit status 1 or 2: no crash, no
hang, no internal error, no value silently accepted (issue 18).

usage: hardening_inputs.py RWE SOURCE_DIR WORK_DIR

Each case runs rwe with a time limit and checks the exit status and a part of the message;
`ok <case>` or `FAIL <case>: ...` per case; exit status 1 when one failed.
"""
import gzip
import os
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

RWE, SOURCE, WORK = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
failures = []


def run(*args, timeout=120):
    try:
        r = subprocess.run([RWE, *map(str, args)], capture_output=True, timeout=timeout)
        return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired:
        return "timeout", "", ""


def expect(name, result, status, message):
    code, out, err = result
    good = code == status and message in err + out and "internal error" not in err and "\x1b" not in err + out
    print(("ok " if good else "FAIL ") + name + ("" if good else f": exit {code}, stderr {err[-600:]!r}"), flush=True)
    if not good:
        failures.append(name)


shutil.rmtree(WORK, ignore_errors=True)
WORK.mkdir(parents=True)
os.chdir(WORK)

# ---- command-line values -------------------------------------------------------------
Path("t.csv").write_text("time,event,g,x\n1,1,a,1\n2,0,b,2\n3,1,a,3\n4,1,b,1\n5,0,a,2\n")
expect("cox --conf-level nan", run("cox", "t.csv", "--time", "time", "--event", "event", "--covariates", "x", "--conf-level", "nan"),
       2, "--conf-level: must be a number between 0.5 and 0.9999 (nan)")
expect("cox --conf-level 2 (CLI11's 105 is 2)", run("cox", "t.csv", "--time", "time", "--event", "event", "--covariates", "x", "--conf-level", "2"),
       2, "--conf-level: must be a number between 0.5 and 0.9999 (2)")
expect("km --conf-level nan", run("km", "t.csv", "--time", "time", "--event", "event", "--conf-level", "nan"),
       2, "--conf-level: must be a number strictly between 0 and 1 (nan)")
expect("crosstab --conf-level inf", run("crosstab", "t.csv", "--row", "g", "--col", "event", "--conf-level", "inf"),
       2, "--conf-level: must be a number between 0.5 and 0.9999 (inf)")
expect("logrank --rho abc (CLI11's 104 is 2)", run("logrank", "t.csv", "--time", "time", "--event", "event", "--group", "g", "--rho", "abc"),
       2, "--rho")
expect("logrank --rho with an escape sequence is shown escaped",
       run("logrank", "t.csv", "--time", "time", "--event", "event", "--group", "g", "--rho", "\x1b]0;pwned\x07"), 2, "\\x1B]0;pwned\\x07")
# A registry value printed on standard output (a group level, a covariate level) cannot
# drive the terminal: ESC, BEL, DEL and C1 controls are shown as escapes; the JSON output
# keeps the same values, as valid JSON escapes.
Path("esc.csv").write_bytes(b"time,event,g\n1,1,a\x1b]0;pwned\x07\n2,0,b\xc2\x9b2J\x7f\n3,1,a\x1b]0;pwned\x07\n4,1,b\xc2\x9b2J\x7f\n")
for command, extra in (("km", ["--group", "g"]), ("logrank", ["--group", "g"]), ("cox", ["--covariates", "g"]),
                       ("crosstab", None)):
    args = ["esc.csv", "--row", "g", "--col", "event"] if extra is None else ["esc.csv", "--time", "time", "--event", "event", *extra]
    code, out, err = run(command, *args)
    raw = any(c in out + err for c in ("\x1b", "\x07", "\x7f", "\x9b"))
    reference_shown = command == "cox" or "a\\x1B]0;pwned\\x07" in out  # cox shows the other level only
    good = code == 0 and not raw and reference_shown and "b\\u009B2J\\u007F" in out
    print(("ok " if good else "FAIL ") + f"{command}: control characters of a level are escaped on stdout"
          + ("" if good else f": exit {code}, stdout {out[:400]!r}"), flush=True)
    if not good:
        failures.append(command + " escapes stdout")
code, out, err = run("km", "esc.csv", "--time", "time", "--event", "event", "--group", "g", "--format", "json")
try:
    names = sorted(s["name"] for s in __import__("json").loads(out)["strata"])
except ValueError:
    names = None
good = code == 0 and names == ["a\x1b]0;pwned\x07", "b\x9b2J\x7f"] and "\x7f" not in out and "\x9b" not in out
print(("ok " if good else "FAIL ") + "km --format json: escaped on stdout, same values" + ("" if good else f": {names!r} {out[:300]!r}"), flush=True)
if not good:
    failures.append("km json escapes")
expect("synth --seed -1", run("synth", "--profile", "thp-her2-mbc", "--patients", "5", "--seed", "-1", "--out", "s"), 2,
       "--seed: must be a whole number from 0 to 18446744073709551615 (-1)")
expect("run without --db (CLI11's 106 is 2)", run("run", "x.toml"), 2, "--db is required")

# ---- registry files ------------------------------------------------------------------
subprocess.run([RWE, "synth", "--profile", "thp-her2-mbc", "--patients", "228", "--seed", "20221001", "--out", "demo"],
               check=True, capture_output=True)
subprocess.run([RWE, "import", "demo", "--db", "demo.sqlite"], check=True, capture_output=True)
plain = Path("demo/administrations.csv").read_bytes()
lines = plain.splitlines(keepends=True)


def registry_with(name, data=None, make=None):
    folder = Path("reg-" + name.replace(" ", "-").replace("/", "-"))
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree("demo", folder)
    target = folder / "administrations.csv"
    target.unlink()
    if make:
        make(target)
    else:
        target.write_bytes(data)
    return folder


whole = gzip.compress(plain)
expect("gzip cut short", run("validate", registry_with("gzip cut", whole[: len(whole) // 2])), 2,
       "administrations.csv: cannot read (gzip data truncated: the file ends inside the compressed stream)")
# Cut exactly where a flushed block ends, after a whole line: what was read is a valid CSV.
packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
cut = packer.compress(b"".join(lines[: len(lines) // 2])) + packer.flush(zlib.Z_FULL_FLUSH)
expect("gzip cut short at a line boundary", run("validate", registry_with("gzip line", cut)), 2, "gzip data truncated")
expect("gzip with trailing garbage", run("validate", registry_with("gzip garbage", whole + b"garbage\n")), 2,
       "trailing bytes after the gzip data")
code, out, err = run("validate", registry_with("gzip two members", gzip.compress(b"".join(lines[:10])) + gzip.compress(b"".join(lines[10:]))))
ok = code == 0 and "valid (0 errors" in out
print(("ok " if ok else "FAIL ") + "two gzip members are one file" + ("" if ok else f": exit {code} {err[-300:]}"))
if not ok:
    failures.append("two gzip members")
expect("a FIFO in place of a registry file", run("validate", registry_with("fifo", make=os.mkfifo), timeout=20), 2,
       "administrations.csv: not a regular file")
expect("import: a FIFO in place of a registry file", run("import", "reg-fifo", "--db", "fifo.sqlite", timeout=20), 2, "not a regular file")
expect("a symlink to /dev/zero as a registry file",
       run("validate", registry_with("zero", make=lambda p: p.symlink_to("/dev/zero")), timeout=20), 2, "not a regular file")
with gzip.open("bomb.gz", "wb", compresslevel=1) as bomb:
    block = b"\0" * (1 << 20)
    for _ in range(80):
        bomb.write(block)
expect("a gzip bomb (80 MiB of NUL, no line break)", run("validate", registry_with("bomb", Path("bomb.gz").read_bytes()), timeout=60), 1,
       "a record longer than 64 MiB")

# ---- protocols -----------------------------------------------------------------------
base = (SOURCE / "tests/data/study/keys/base.toml").read_text()
deep_header = "[" + ".".join(["analysis", "published"] + ["x"] * 20000) + "]\n"
PROTOCOLS = [
    # name, (old, new) edit of the base protocol (old None: append new), exit status, message
    ("index.line = -1", ("line = 1", "line = -1"), 1, ":17: index.line: expected a line number >= 1, [first, last] or \"any\" (-1)"),
    ("index.line = -4294967295", ("line = 1", "line = -4294967295"), 1, ":17: index.line: expected a line number >= 1"),
    ("index.line = 4294967297", ("line = 1", "line = 4294967297"), 1, ":17: index.line: expected line numbers from 1 to 1000 (4294967297)"),
    ("index.line = [1, 4294967297]", ("line = 1", "line = [1, 4294967297]"), 1, ":17: index.line: expected line numbers from 1 to 1000"),
    ("small_cell = 4294967296", ("small_cell = 0", "small_cell = 4294967296"), 1, ":12: study.small_cell: must be at most 1000000"),
    ("band limit nan", ("upper = [50, 60]", "upper = [nan, 60]"), 1, ":43: variables.AGEGR.upper: limits must be finite numbers"),
    ("band limit inf", ("upper = [50, 60]", "upper = [50, inf]"), 1, ":43: variables.AGEGR.upper: limits must be finite numbers"),
    ("km times negative", ("times = [12]", "times = [-1]"), 1, ":72: analysis.a_km.times: must be >= 0 (-1)"),
    ("km times nan", ("times = [12]", "times = [nan]"), 1, ":72: analysis.a_km.times: must be a finite number (nan)"),
    ("km times inf", ("times = [12]", "times = [inf]"), 1, ":72: analysis.a_km.times: must be a finite number (inf)"),
    ("rmst_tau negative", ("times = [12]", "times = [12]\nrmst_tau = -1"), 1, ":73: analysis.a_km.rmst_tau: must be > 0 (-1)"),
    ("rmst_tau nan", ("times = [12]", "times = [12]\nrmst_tau = nan"), 1, ":73: analysis.a_km.rmst_tau: must be a finite number (nan)"),
    ("landmark_days negative", ("landmark_days = 105", "landmark_days = -5"), 1, ":107: analysis.a_landmark.landmark_days: must be >= 0 (-5)"),
    ("median_ci bogus", ("times = [12]", 'times = [12]\nmedian_ci = "bogus"'), 1, ":73: analysis.a_km.median_ci: not an allowed value"),
    ("conf_type bogus", ("times = [12]", 'times = [12]\nconf_type = "bogus"'), 1, ":73: analysis.a_km.conf_type: not an allowed value"),
    ("ties bogus", ('covariates = ["AGE"]', 'covariates = ["AGE"]\nties = "bogus"'), 1, ":100: analysis.a_cox.ties: not an allowed value"),
    ("unknown variable", ('covariates = ["AGE"]', 'covariates = ["NOPE"]'), 1, ":99: analysis.a_cox.covariates: unknown variable"),
    ("unknown endpoint", ('endpoint = "OS"\ntimes', 'endpoint = "NOPE"\ntimes'), 1, ":71: analysis.a_km.endpoint: unknown endpoint"),
    ("outcome nausea:x", ('outcomes = ["nausea:3"]', 'outcomes = ["nausea:x"]'), 1, ":93: analysis.a_association.outcomes: expected a variable name"),
    ("outcome nausea:99999999999999", ('outcomes = ["nausea:3"]', 'outcomes = ["nausea:99999999999999"]'), 1,
     ":93: analysis.a_association.outcomes: expected a variable name"),
    ("published of the wrong type", ("times = [12]", "times = [12]\npublished = 5"), 1, ":73: analysis.a_km.published: expected a table"),
    ("published value of the wrong type", ("times = [12]", 'times = [12]\npublished = { median = "<b>x</b>" }'), 1,
     ":73: analysis.a_km.published.median: expected a number"),
    ("min_count = 0", ("min_count = 6", "min_count = 0"), 1, ":106: analysis.a_landmark.min_count: must be >= 1 (0)"),
    ("min_count = -100000000", ("min_count = 6", "min_count = -100000000"), 1, ":106: analysis.a_landmark.min_count: must be >= 1"),
    ("id with /", ('id = "a_km"', 'id = "a/km"'), 1, ":69: analysis.a/km.id: expected letters, digits, _ and - only"),
    ("id ..", ('id = "a_km"', 'id = ".."'), 1, ":69: analysis....id: expected letters, digits"),
    ("id of 300 characters", ('id = "a_km"', 'id = "' + "k" * 300 + '"'), 1, ".id: at most 64 characters"),
    ("id with an escape sequence is shown escaped", ('id = "a_km"', 'id = "a\\u001b[2Jkm"'), 1, "(a\\x1B[2Jkm)"),
    ("unknown variable with control characters", ('covariates = ["AGE"]', 'covariates = ["\\u001b]0;pwned\\u0007"]'), 1,
     "(\\x1B]0;pwned\\x07)"),
    ("a table header nested 20,000 deep", ("times = [12]", "times = [12]\n" + deep_header), 1, ":73: analysis.a_km.published.x: unknown key"),
    ("an inline table nested 3,000 deep", (None, '\n[[analysis]]\nid = "zz"\nkind = "km"\nendpoint = "OS"\npublished = ' + "{a=" * 3000 + "1" + "}" * 3000 + "\n"),
     1, "exceeded maximum nested value depth"),
    ("an array nested 3,000 deep", (None, '\n[[analysis]]\nid = "zz"\nkind = "km"\nendpoint = "OS"\npublished = ' + "[" * 3000 + "1" + "]" * 3000 + "\n"),
     1, "exceeded maximum nested value depth"),
]
for name, (old, new), status, message in PROTOCOLS:
    assert old is None or old in base, name
    path = Path("p-" + "".join(c if c.isalnum() else "-" for c in name)[:40] + ".toml")
    path.write_text(base + new if old is None else base.replace(old, new, 1))
    expect("protocol: " + name, run("run", path, "--db", "demo.sqlite", "--out", "o-" + path.stem), status, path.name + message
           if message.startswith(":") else message)

# An analysis id `response` beside a response analysis (figure ids once collided).
path = Path("p-id-response.toml")
path.write_text(base.replace('id = "a_km"', 'id = "response"', 1))
code, out, err = run("run", path, "--db", "demo.sqlite", "--out", "o-id-response")
ok = code == 0 and Path("o-id-response/report.html").exists()
print(("ok " if ok else "FAIL ") + "protocol: an analysis id `response` beside a response analysis" + ("" if ok else f": {code} {err[-300:]}"))
if not ok:
    failures.append("id response")
# An empty cohort: a run with a message-free, whole output (no error about bands).
path = Path("p-empty.toml")
path.write_text(base.replace('include = "HER2POS"', 'include = "HER2POS and AGE > 500"', 1))
code, out, err = run("run", path, "--db", "demo.sqlite", "--out", "o-empty")
ok = code == 0 and "0 of" in out and "'from' must name" not in err
print(("ok " if ok else "FAIL ") + "protocol: an empty cohort" + ("" if ok else f": {code} {err[-300:]}"))
if not ok:
    failures.append("empty cohort")

# ---- statistics commands --------------------------------------------------------------
with open("groups.csv", "w") as out:
    out.write("time,event,g\n")
    for i in range(200000):
        out.write(f"{i % 97 + 1},{i % 2},g{i // 2}\n")
expect("logrank with 10^5 groups", run("logrank", "groups.csv", "--time", "time", "--event", "event", "--group", "g", timeout=60), 1,
       "groups.csv:2002: g: more than 1000 distinct values")
expect("cox with a factor of 10^5 levels", run("cox", "groups.csv", "--time", "time", "--event", "event", "--covariates", "g",
                                                "--factor", "g", timeout=60), 1, "g: more than 1000 distinct values")
expect("crosstab with Fisher on a 10^5 x 2 table", run("crosstab", "groups.csv", "--row", "g", "--col", "event", "--rule", "fisher",
                                                       timeout=60), 1, "more than 1000 distinct values")
# 1,000 x 2 is within the level limit but far beyond what exact enumeration can finish: the
# work limit stops it in bounded time, p is NA and the note says why.
with open("wide_table.csv", "w") as out:
    out.write("g,event\n")
    rows = __import__("random").Random(1)
    for i in range(3000):
        out.write(f"L{i // 3},{rows.randint(0, 1)}\n")
expect("crosstab with Fisher on a 1,000 x 2 table stops at its work limit",
       run("crosstab", "wide_table.csv", "--row", "g", "--col", "event", "--rule", "fisher", timeout=90), 0,
       "Fisher: exact enumeration stopped after 50000000 steps: the table is too large for Fisher's exact test")
Path("neg.csv").write_text("time,event,x\n-1,1,1\n2,0,2\n3,1,3\n4,1,1\n5,0,2\n")
expect("cox: a negative time", run("cox", "neg.csv", "--time", "time", "--event", "event", "--covariates", "x"), 1,
       "neg.csv:2: time: negative time (-1)")
Path("dup.csv").write_text("time,event,time\n1,1,5\n2,0,6\n3,1,7\n")
expect("km: a column named twice in the header", run("km", "dup.csv", "--time", "time", "--event", "event"), 1,
       "dup.csv:1: time: the header names this column twice (columns 1 and 3)")
Path("wide.csv").write_text(",".join(f"c{i}" for i in range(200000)) + "\n" + ",".join("1" for i in range(200000)) + "\n")
code, out, err = run("km", "wide.csv", "--time", "time", "--event", "event")
expect("km: no such column among 200,000 (a short list)", (code, out, err if len(err) < 2000 else ""), 2, "... and 199970 more)")

Path("utf8.csv").write_bytes(b"time,event,g\n1,1,a\xff\n2,0,b\n3,1,a\xff\n4,1,b\n")
for command in (["km", "--time", "time", "--event", "event", "--group", "g"], ["logrank", "--time", "time", "--event", "event", "--group", "g"],
                ["crosstab", "--row", "g", "--col", "event"]):
    expect(f"{command[0]} --format json: a group level that is not UTF-8", run(command[0], "utf8.csv", *command[1:], "--format", "json"), 1,
           "utf8.csv:2: g: not valid UTF-8 text (save the file as UTF-8) (a\\xFF)")

# ---- repeated diagnostics are capped -----------------------------------------------------
wide = registry_with("wide header", plain)
patients = (wide / "patients.csv").read_text().splitlines()
extra = 100000
(wide / "patients.csv").write_text("\n".join([patients[0] + "," + ",".join(f"x{i}" for i in range(extra))] +
                                              [row + "," * extra for row in patients[1:]]) + "\n")
code, out, err = run("validate", wide)
ok = code == 0 and len(out) < 20000 and f"{extra - 50} more like this not shown: unknown column" in out
print(("ok " if ok else "FAIL ") + "validate: 10^5 unknown columns give 50 warnings and a count" + ("" if ok else f": exit {code}, {len(out)} bytes"))
if not ok:
    failures.append("capped diagnostics")

# ---- privacy: formulas in CSV files, dates in Table 1 ---------------------------------------
def replace_everywhere(folder, old, new):
    for path in Path(folder).glob("*.csv"):
        path.write_bytes(path.read_bytes().replace(old, new))


formula = registry_with("formula", plain)
first_id = patients[1].split(",")[0].encode()
replace_everywhere(formula, first_id + b",", b'"=HYPERLINK(""http://example.invalid"")",')
subprocess.run([RWE, "import", formula, "--db", "formula.sqlite"], check=True, capture_output=True)
table1 = base.replace('variables = ["AGE", "MENO"]', 'variables = ["AGE", "LCDT", "USUBJ"]', 1).replace(
    "AGE = ", 'LCDT = { derive = "patient", field = "last_contact_date" }\nUSUBJ = { expr = "\'=1+2\'" }\nAGE = ', 1)
Path("p-privacy.toml").write_text(table1)
code, out, err = run("run", "p-privacy.toml", "--db", "formula.sqlite", "--out", "o-privacy")
ok = code == 0
if not ok:
    print(f"FAIL privacy run: exit {code} {err[-500:]}")
    failures.append("privacy run")
else:
    cells = []
    for path in list(Path("o-privacy").glob("*.csv")) + list(Path("o-privacy/tables").glob("*.csv")):
        import csv as csvmodule
        with open(path, newline="") as handle:
            for row in csvmodule.reader(handle):
                cells += [(path.name, cell) for cell in row]
    bad = [(name, cell) for name, cell in cells if cell[:1] in ("=", "@", "+", "\t", "\r")
           or (cell[:1] == "-" and not cell.lstrip("-").replace(".", "", 1).replace("e", "", 1).replace("-", "", 1).isdigit())]
    neutral = [cell for name, cell in cells if cell.startswith("'=")]
    good = bad == [] and len(neutral) > 0 and ("adsl.csv", "'=HYPERLINK(\"http://example.invalid\")") in cells
    print(("ok " if good else "FAIL ") + "CSV cells that start with = + - @ are neutralised" + ("" if good else f": {bad[:5]}, {len(neutral)} neutralised"))
    if not good:
        failures.append("formula injection")
    dates = [d for d in (Path("o-privacy/adsl.csv").read_text().splitlines()[1:])]
    results = (Path("o-privacy/results.json").read_text() + (Path("o-privacy/tables") / "tab-a_table1.csv").read_text())
    import json as jsonmodule
    analyses = jsonmodule.loads(Path("o-privacy/results.json").read_text())["analyses"]
    row = [r for a in analyses if a["id"] == "a_table1" for r in a["result"]["rows"] if r["variable"] == "LCDT"][0]
    levels = [level["level"] for level in row["overall"]["levels"]]
    good = row["overall"].get("by") == "year" and levels and all(len(level) == 4 for level in levels) and row["overall"]["missing"] == 0
    print(("ok " if good else "FAIL ") + "Table 1 of a date: counts by year, no patient's date" + ("" if good else f": {row}"[:300]))
    if not good:
        failures.append("table1 dates")

print(f"{len(failures)} failed: {failures}" if failures else "all passed")
sys.exit(1 if failures else 0)
