#!/usr/bin/env python3
"""Small-cell suppression of everything `rwe run` publishes (docs/report.md, "Small-cell
suppression"; docs/protocols.md, `small_cell`).

  disclosure_outputs.py RWE SOURCE_DIR WORK_DIR

The reference protocol (studies/thp-first-line.toml, with a cumulative incidence analysis
added) on the demo registry (rwe synth
--profile thp-her2-mbc --patients 228 --seed 20221001) is run with small_cell = 0 (every
count shown: the truth the checks compare against) and with small_cell = 10 and 11. For
each threshold k:

  1. results.json differs from the unsuppressed one only by values replaced with
     "suppressed", and every count from 1 to k-1 is replaced (the tail of a Kaplan-Meier
     step table, where fewer than k are at risk, included);
  2. a suppressed count keeps no percentage or confidence interval beside it, and no
     withheld percentage, CI or summary appears anywhere else in results.json;
  3. the recovery attack: every linear relation the results state (the cells of a
     distribution and their total, the grades of an adverse event, the response categories
     and ORR/DCR, the groups of a survival analysis and their total, the steps of the
     attrition, the margins of two-way tables, the overall column of a by-group table), with
     the margins a reader may know from elsewhere taken as known, is solved for every
     suppressed cell (a) exactly, by Gaussian elimination over the rationals (any
     combination of sums and differences), and (b) with the bounds a cell being >= 0 gives.
     The attacker also knows how the groupings nest, from the unsuppressed run's adsl.csv
     (the same level counted in two analyses; a level that is the union of levels of
     another variable).
     A suppressed cell pinned to one value is a failure. As a control, the same attack on the
     results with only the counts 1..k-1 suppressed (the old rule) must recover cells;
  4. every table, as CSV, as a sheet of tables.xlsx (read from the zip) and as a table of
     report.html, has the shape of the unsuppressed one, every cell that differs shows the
     marker S, and every cell that was a count from 1 to k-1 shows S;
  5. the patient-level datasets are not written (nor linked) unless the protocol sets
     patient_level_datasets = true; `rwe report` renders the same tables again and does
     not copy datasets found beside results.json, and suppresses a results.json of
     small_cell = 10 that holds every count (written before the pass existed).

Each check prints `ok <name>` or `FAIL <name>: why`; the exit status is 1 when one failed.
"""
import csv
import difflib
import html.parser
import io
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from fractions import Fraction
from pathlib import Path

RWE, SOURCE, WORK = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
MARK, CELL_MARK = "suppressed", "S"
failures = []


def check(name, condition, why=""):
    print(("ok " if condition else "FAIL ") + name + ("" if condition else ": " + why), flush=True)
    if not condition:
        failures.append(name)


def rwe(*args):
    return subprocess.run([RWE, *map(str, args)], capture_output=True, text=True)


# ---------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------
WORK.mkdir(parents=True, exist_ok=True)
db = WORK / "demo.sqlite"
if not db.exists():
    subprocess.run([RWE, "synth", "--profile", "thp-her2-mbc", "--patients", "228", "--seed", "20221001",
                    "--out", WORK / "demo"], check=True, capture_output=True)
    subprocess.run([RWE, "import", WORK / "demo", "--db", db], check=True, capture_output=True)
protocol_text = (SOURCE / "studies" / "thp-first-line.toml").read_text() + """
# and progression with death as a competing event, by visceral disease (the reference
# protocol has no cumulative incidence analysis)
[[analysis]]
id = "ttp_competing"
kind = "cuminc"
endpoint = "PFS"
event = "progression"
by = "VISCERAL"
times = [12, 24]
covariates = ["AGE", "VISCERAL"]
"""
assert re.search(r"^small_cell = 0\b", protocol_text, re.M), "the reference protocol sets small_cell = 0"


def run(name, small_cell, extra=""):
    text = re.sub(r"^small_cell = 0\b", f"small_cell = {small_cell}{extra}", protocol_text, count=1, flags=re.M)
    path = WORK / f"{name}.toml"
    path.write_text(text)
    out = WORK / f"out-{name}"
    shutil.rmtree(out, ignore_errors=True)
    r = rwe("run", path, "--db", db, "--out", out)
    if r.returncode != 0:
        print(r.stderr)
        sys.exit(f"rwe run {name} failed")
    return out


reference = run("k0", 0)
ref = json.loads((reference / "results.json").read_text())
with open(reference / "adsl.csv", newline="", encoding="utf-8") as f:
    adsl = list(csv.DictReader(f))

# ---------------------------------------------------------------------------------------
# results.json: walking two results side by side
# ---------------------------------------------------------------------------------------
COUNT_KEYS = {"n", "events", "observed", "excluded", "remaining", "missing", "denominator", "measurable",
              "not_measurable", "n_risk", "dropped", "at_risk_at_landmark", "excluded_before_landmark", "ours_n",
              "ours_of", "of", "patients", "clones", "censored_deviation", "truncated_rows"}


def walk(a, b, path, visit):
    visit(path, a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        for key in a:
            if key in b:
                walk(a[key], b[key], path + (key,), visit)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            walk(x, y, path + (i,), visit)


def is_count_position(path):
    if any(k == "curve" for k in path):
        return False  # the step table: its own rule (below)
    if "counts" in path or "actions" in path:
        return True
    return bool(path) and path[-1] in COUNT_KEYS


def small(value, k):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == int(value) and 1 <= value < k


def numbers(value, out):
    if isinstance(value, bool):
        return out
    if isinstance(value, (int, float)):
        out.append(value)
    elif isinstance(value, dict):
        for v in value.values():
            numbers(v, out)
    elif isinstance(value, list):
        for v in value:
            numbers(v, out)
    return out


def get(results, path):
    for key in path:
        results = results[key]
    return results


# ---------------------------------------------------------------------------------------
# The recovery attack
# ---------------------------------------------------------------------------------------
class Attack:
    """Cells (paths into results.json) tied by relations total = sum(parts). A cell is a
    number, unknown (suppressed), or a constant a reader is assumed to know."""

    def __init__(self, published, truth):
        self.published, self.truth = published, truth
        self.relations = []
        self.constants = 0
        self.nested = 0

    def value(self, path):
        v = get(self.published, path)
        return None if v == MARK else v

    def known(self, value):
        self.constants += 1
        return ("known", self.constants, value)

    def sum(self, total, parts):
        self.relations.append((total, list(parts)))

    def known_sum(self, parts):
        """The parts' total is assumed known (a group size, a margin published elsewhere)."""
        self.sum(self.known(sum(get(self.truth, p) for p in parts)), parts)

    def sum_with_rest(self, total, parts):
        """total = parts + what they leave out (patients with a missing group; known)."""
        rest = get(self.truth, total) - sum(get(self.truth, p) for p in parts)
        self.sum(total, list(parts) + ([self.known(rest)] if rest else []))

    def equal(self, a, b):
        self.sum(a, [b])

    def cell_value(self, cell):
        if cell[0] == "known":
            return cell[2]
        return self.value(cell)

    def solve(self):
        """Every unknown cell that the relations pin to one value: (path, value, how)."""
        unknown = sorted({c for t, ps in self.relations for c in [t, *ps] if c[0] != "known" and self.cell_value(c) is None},
                         key=str)
        index = {c: i for i, c in enumerate(unknown)}
        equations = []
        for total, parts in self.relations:
            coefficients, constant = {}, Fraction(0)
            for cell, sign in [(total, 1)] + [(p, -1) for p in parts]:
                v = self.cell_value(cell)
                if v is None:
                    coefficients[index[cell]] = coefficients.get(index[cell], 0) + sign
                else:
                    constant -= sign * Fraction(v).limit_denominator()
            coefficients = {i: Fraction(c) for i, c in coefficients.items() if c}
            if coefficients:
                equations.append((coefficients, constant))
        recovered = {}
        # (a) exact: Gaussian elimination per connected component.
        parent = list(range(len(unknown)))

        def find(i):
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for coefficients, _ in equations:
            first = next(iter(coefficients))
            for other in coefficients:
                parent[find(other)] = find(first)
        components = {}
        for e in equations:
            components.setdefault(find(next(iter(e[0]))), []).append(e)
        for rows in components.values():
            rows = [(dict(c), r) for c, r in rows]
            pivots = []
            for row_index in range(len(rows)):
                coefficients, rhs = rows[row_index]
                for pivot_column, pivot_row in pivots:  # eliminate earlier pivots
                    f = coefficients.get(pivot_column)
                    if f:
                        pc, pr = rows[pivot_row]
                        for col, val in pc.items():
                            coefficients[col] = coefficients.get(col, 0) - f * val
                            if coefficients[col] == 0:
                                del coefficients[col]
                        rhs -= f * pr
                if not coefficients:
                    rows[row_index] = (coefficients, rhs)
                    continue
                column = min(coefficients)
                scale = coefficients[column]
                coefficients = {c: v / scale for c, v in coefficients.items()}
                rhs /= scale
                rows[row_index] = (coefficients, rhs)
                for pivot_column, pivot_row in pivots:  # back-substitute into earlier rows
                    pc, pr = rows[pivot_row]
                    f = pc.get(column)
                    if f:
                        for col, val in coefficients.items():
                            pc[col] = pc.get(col, 0) - f * val
                            if pc[col] == 0:
                                del pc[col]
                        rows[pivot_row] = (pc, pr - f * rhs)
                pivots.append((column, row_index))
            for _, row_index in pivots:
                coefficients, rhs = rows[row_index]
                if len(coefficients) == 1:
                    recovered[unknown[next(iter(coefficients))]] = (rhs, "by sums and differences")
        # (b) bounds: every cell >= 0.
        inf = float("inf")
        lo = {c: 0.0 for c in unknown}
        hi = {c: inf for c in unknown}

        def bounds(cell):
            v = self.cell_value(cell)
            return (v, v) if v is not None else (lo[cell], hi[cell])

        changed = True
        while changed:
            changed = False
            for total, parts in self.relations:
                members = [(total, 1)] + [(p, -1) for p in parts]
                for cell, sign in members:
                    if self.cell_value(cell) is not None:
                        continue
                    # sign * cell = - sum(other signs * others)
                    low, high = 0.0, 0.0
                    for other, s in members:
                        if other is cell:
                            continue
                        a, b = bounds(other)
                        # contribution of -s * other
                        if -s > 0:
                            low, high = low + a, high + b
                        else:
                            low, high = low - b, high - a
                    if sign < 0:
                        low, high = -high, -low
                    new_lo, new_hi = max(lo[cell], low), min(hi[cell], high)
                    if new_lo > lo[cell] + 1e-9 or new_hi < hi[cell] - 1e-9:
                        lo[cell], hi[cell] = new_lo, new_hi
                        changed = True
        for cell in unknown:
            if hi[cell] - lo[cell] < 0.5 and cell not in recovered:
                recovered[cell] = (lo[cell], "by bounds")
        return recovered


def relations(attack, results):
    """Every linear relation results.json states (docs/report.md lists them)."""
    a = attack
    cohort = ("cohort", "n") if "cohort" in results else None
    for i, analysis in enumerate(results["analyses"]):
        kind, r = analysis["kind"], analysis["result"]
        R = ("analyses", i, "result")
        if kind == "attrition":
            steps = r["steps"]
            a.equal(("registry", "patients"), R + ("steps", 0, "remaining"))
            for j in range(1, len(steps)):
                a.sum(R + ("steps", j - 1, "remaining"), [R + ("steps", j, "excluded"), R + ("steps", j, "remaining")])
            a.equal(cohort, R + ("steps", len(steps) - 1, "remaining"))
            a.equal(cohort, R + ("n",))
        elif kind == "table1":
            if "population" not in r:
                a.equal(cohort, R + ("n",))

            def describe(p, s):
                if s["type"] == "numeric":
                    return p + ("n",), p + ("missing",), {}
                levels = {l["level"]: p + ("levels", k, "n") for k, l in enumerate(s["levels"])}
                a.sum(p + ("denominator",), list(levels.values()))
                return p + ("denominator",), p + ("missing",), levels

            for j, row in enumerate(r["rows"]):
                P = R + ("rows", j)
                d, m, levels = describe(P + ("overall",), row["overall"])
                a.sum(R + ("n",), [d, m])
                groups = {}
                for g, s in row.get("by_group", {}).items():
                    groups[g] = describe(P + ("by_group", g), s)
                    a.known_sum([groups[g][0], groups[g][1]])
                if groups:
                    a.sum_with_rest(d, [x[0] for x in groups.values()])
                    a.sum_with_rest(m, [x[1] for x in groups.values()])
                    for level, cell in levels.items():
                        a.sum_with_rest(cell, [x[2][level] for x in groups.values() if level in x[2]])
                test = row.get("comparison")
                if test and "counts" in test:
                    for x, level in enumerate(test["rows"]):
                        for y, group in enumerate(test["columns"]):
                            if group in groups and level in groups[group][2]:
                                a.equal(P + ("comparison", "counts", x, y), groups[group][2][level])
        elif kind in ("km", "logrank", "landmark"):
            lists = []
            if kind == "km":
                lists.append((R + ("strata",), r["strata"], R + ("dropped",), None))
            elif kind == "logrank":
                for t, test in enumerate(r["tests"]):
                    lists.append((R + ("tests", t, "groups"), test.get("groups", []), R + ("tests", t, "dropped"), None))
            else:
                for e, res in enumerate(r["results"]):
                    E = R + ("results", e)
                    a.known_sum([E + ("at_risk_at_landmark",), E + ("excluded_before_landmark",)])
                    lists.append((E + ("strata",), res.get("strata", []), None, E + ("at_risk_at_landmark",)))
            for base, groups, dropped, total in lists:
                ns = [base + (g, "n") for g in range(len(groups))]
                events = [base + (g, "events") for g in range(len(groups))]
                for g, group in enumerate(groups):
                    if "observed" in group:
                        a.equal(base + (g, "observed"), base + (g, "events"))
                if total:
                    a.sum_with_rest(total, ns)
                elif ns:
                    a.known_sum(ns + ([dropped] if dropped else []))
                if events:
                    a.known_sum(events)
        elif kind == "response":
            def block(p):
                cells = {level: p + ("best_response", level, "n") for level in ("CR", "PR", "SD", "PD", "NE")}
                for level in cells:
                    a.equal(p + ("measurable",), p + ("best_response", level, "of"))
                for key in ("orr", "dcr", "cr_rate"):
                    a.equal(p + ("measurable",), p + (key, "of"))
                a.sum(p + ("measurable",), list(cells.values()))
                a.sum(p + ("orr", "n"), [cells["CR"], cells["PR"]])
                a.sum(p + ("dcr", "n"), [p + ("orr", "n"), cells["SD"]])
                a.equal(p + ("cr_rate", "n"), cells["CR"])
                cells.update(measurable=p + ("measurable",), orr=p + ("orr", "n"), dcr=p + ("dcr", "n"))
                return cells

            overall = block(R)
            a.known_sum([R + ("measurable",), R + ("not_measurable",)])
            for b, by in enumerate(r.get("by", [])):
                B = R + ("by", b)
                levels = [block(B + ("levels", l)) for l in range(len(by["levels"]))]
                for key, cell in overall.items():
                    a.sum_with_rest(cell, [level[key] for level in levels])
                for l, level in enumerate(levels):
                    a.equal(B + ("orr_test", "counts", l, 0), level["orr"])
                    a.sum(level["measurable"], [B + ("orr_test", "counts", l, 0), B + ("orr_test", "counts", l, 1)])
        elif kind == "adverse_events":
            a.equal(cohort, R + ("n",))
            for t in range(len(r["terms"])):
                T = R + ("terms", t)
                band = {b: T + (b, "n") for b in ("any", "grade_1_2", "grade_3", "grade_4", "grade_3_4", "grade_5", "grade_3_plus")}
                a.sum(band["any"], [band["grade_1_2"], band["grade_3"], band["grade_4"], band["grade_5"]])
                a.sum(band["grade_3_4"], [band["grade_3"], band["grade_4"]])
                a.sum(band["grade_3_plus"], [band["grade_3_4"], band["grade_5"]])
                a.sum(band["grade_3_plus"], [band["grade_3"], band["grade_4"], band["grade_5"]])
        elif kind == "association":
            for t, test in enumerate(r["tests"]):
                C = R + ("tests", t, "counts")
                for x in range(len(test["counts"])):
                    a.known_sum([C + (x, y) for y in range(len(test["counts"][x]))])
                for y in range(len(test["counts"][0]) if test["counts"] else 0):
                    a.known_sum([C + (x, y) for x in range(len(test["counts"]))])
        elif kind == "cox":
            a.known_sum([R + ("n",), R + ("dropped",)])
            # The table's rows: per level of a category, patients and events among the
            # model's patients, adding up to the model's n and events; each univariable model
            # with its own n and dropped.
            for t, term in enumerate(r.get("terms", [])):
                levels = term.get("levels", [])
                if levels:
                    a.sum_with_rest(R + ("n",), [R + ("terms", t, "levels", l, "n") for l in range(len(levels))])
                    a.sum_with_rest(R + ("events",), [R + ("terms", t, "levels", l, "events") for l in range(len(levels))])
            for m in range(len(r.get("univariable", []))):
                a.known_sum([R + ("univariable", m, "n"), R + ("univariable", m, "dropped")])
        elif kind == "cuminc":
            # the curves' patients with the dropped, each cause's events over the curves;
            # the models' patients and events
            curves = r.get("curves", [])
            a.known_sum([R + ("curves", c, "n") for c in range(len(curves))] + [R + ("dropped",)])
            for k in range(len(curves[0]["causes"]) if curves else 0):
                a.known_sum([R + ("curves", c, "causes", k, "events") for c in range(len(curves))])
            for m in range(len(r.get("cause_specific", []))):
                a.known_sum([R + ("cause_specific", m, "n"), R + ("cause_specific", m, "dropped")])
        elif kind == "target_trial":
            # the patients with the dropped; the groups as received add up to the patients,
            # their events to the endpoint's
            a.known_sum([R + ("patients",), R + ("dropped",)])
            groups = r.get("as_received", {}).get("groups", [])
            if groups:
                a.sum(R + ("patients",), [R + ("as_received", "groups", g, "n") for g in range(len(groups))])
                a.known_sum([R + ("as_received", "groups", g, "events") for g in range(len(groups))])


def nesting(at, results, adsl):
    """What a reader who knows how the groupings nest can add, taken from the patient-level
    rows of the unsuppressed run: the same variable's level counted in two analyses of the
    same patients is one value; a level of one variable that holds exactly the patients of
    one or more levels of another is their sum (de novo = relapsed naive + relapsed exposed),
    for Table 1 counts and for the n and events of survival groups."""
    def partition(variable):
        groups = {}
        for row in adsl:
            groups.setdefault(row[variable], set()).add(row["USUBJID"])
        return groups

    def unions(v1, v2):
        p1, p2 = partition(v1), partition(v2)
        for a, members in p1.items():
            if a == "":
                continue
            inside = {b for b, m in p2.items() if m & members}
            if len(inside) >= 1 and "" not in inside and set().union(*(p2[b] for b in inside)) == members:
                yield a, sorted(inside)

    # cells[(family, variable, level)] = list of (path of n, path of events or None)
    cells = {}
    for i, analysis in enumerate(results["analyses"]):
        kind, r = analysis["kind"], analysis["result"]
        R = ("analyses", i, "result")
        if kind == "table1" and "population" not in r:
            for j, row in enumerate(r["rows"]):
                if row["overall"]["type"] == "categorical" and row.get("overall", {}).get("by") != "year":
                    for k, level in enumerate(row["overall"]["levels"]):
                        cells.setdefault(("table1", row["variable"], level["level"]), []).append((R + ("rows", j, "overall", "levels", k, "n"), None))
        elif kind == "km" and "by" in r and "population" not in r:
            for g, group in enumerate(r["strata"]):
                cells.setdefault((r["endpoint"], r["by"], group["name"]), []).append((R + ("strata", g, "n"), R + ("strata", g, "events")))
        elif kind == "cox" and r.get("dropped") == 0 and "strata" not in r:
            # every patient of the endpoint is in the model: its levels are the endpoint's groups
            for t, term in enumerate(r.get("terms", [])):
                for l, level in enumerate(term.get("levels", [])):
                    cells.setdefault((r["endpoint"], term["name"], level["level"]), []).append(
                        (R + ("terms", t, "levels", l, "n"), R + ("terms", t, "levels", l, "events")))
        elif kind == "logrank":
            for t, test in enumerate(r["tests"]):
                if test.get("strata"):
                    continue
                for g, group in enumerate(test.get("groups", [])):
                    cells.setdefault((test["endpoint"], test["by"], group["name"]), []).append(
                        (R + ("tests", t, "groups", g, "n"), R + ("tests", t, "groups", g, "events")))
    for same in cells.values():
        for n, e in same[1:]:
            at.equal(same[0][0], n)
            if e and same[0][1]:
                at.equal(same[0][1], e)
    families = {}
    for family, variable, level in cells:
        families.setdefault(family, set()).add(variable)
    for family, variables in families.items():
        for v1 in variables:
            for v2 in variables:
                if v1 == v2 or v1 not in adsl[0] or v2 not in adsl[0]:
                    continue
                for a, inside in unions(v1, v2):
                    if (family, v1, a) not in cells or any((family, v2, b) not in cells for b in inside):
                        continue
                    whole = cells[(family, v1, a)][0]
                    parts = [cells[(family, v2, b)][0] for b in inside]
                    at.sum(whole[0], [p[0] for p in parts])
                    if whole[1]:
                        at.sum(whole[1], [p[1] for p in parts])
                    at.nested += 1


def attack(published, truth, adsl=None):
    at = Attack(published, truth)
    relations(at, published)
    if adsl:
        nesting(at, published, adsl)
    return at.solve(), at


# ---------------------------------------------------------------------------------------
# Tables: CSV, XLSX and HTML
# ---------------------------------------------------------------------------------------
def csv_tables(folder):
    out = {}
    for path in sorted((folder / "tables").glob("*.csv")):
        out[path.stem] = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    return out


def xlsx_tables(path):
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    with zipfile.ZipFile(path) as z:
        shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", ns):
                shared.append("".join(t.text or "" for t in si.iter("{%s}t" % ns["m"])))
        workbook = ET.fromstring(z.read("xl/workbook.xml"))
        rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        target = {r.get("Id"): r.get("Target") for r in rels}
        out = {}
        for sheet in workbook.find("m:sheets", ns):
            xml = ET.fromstring(z.read("xl/" + target[sheet.get(rel)]))
            rows = []
            for row in xml.iter("{%s}row" % ns["m"]):
                cells = []
                for c in row.findall("m:c", ns):
                    v = c.find("m:v", ns)
                    text = "" if v is None else v.text
                    if c.get("t") == "s":
                        text = shared[int(text)]
                    cells.append(text)
                rows.append(cells)
            out[sheet.get("name")] = rows
        return out


class HtmlTables(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables, self.current, self.row, self.cell, self.table_id, self.wrap_id = {}, None, None, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and "table-wrap" in (attrs.get("class") or ""):
            self.wrap_id = attrs.get("id")
        elif tag == "table":
            self.current = []
            self.table_id = self.wrap_id or f"table{len(self.tables)}"
        elif tag == "tr" and self.current is not None:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append(self.cell.strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.current.append(self.row)
            self.row = None
        elif tag == "table" and self.current is not None:
            self.tables[self.table_id] = self.current
            self.current = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def html_tables(path):
    parser = HtmlTables()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tables


def leading_counts(cell):
    """The counts a cell shows: "12", "12 (5.3)", "34 / 124; 30 / 40"."""
    return [int(m.group(1)) for token in re.split(r" / |; ", cell) for m in [re.fullmatch(r"(\d+)(?: \(.*\))?", token.strip())] if m]


def compare_tables(name, reference_tables, tables, k):
    problems = []
    if sorted(reference_tables) != sorted(tables):
        problems.append(f"tables {sorted(set(reference_tables) ^ set(tables))} differ")
    for table, ref_rows in reference_tables.items():
        rows = tables.get(table)
        if rows is None:
            continue
        # Rows of one cell (titles, footnotes) are not data. Rows are matched by their labels:
        # a row may appear (a count of 0 that was left out, now suppressed: "missing  S").
        ref_rows = [r for r in ref_rows if len(r) > 1]
        rows = [r for r in rows if len(r) > 1]
        header = ref_rows[0] if ref_rows else []
        published = {j for j, h in enumerate(header) if "Published" in h or h in ("Verdict", "Quantity", "Analysis")}
        marker = re.compile(r"(^|[^A-Za-z])S([^A-Za-z(]|$)")
        labels = lambda rs: [r[0].replace("median (IQR)", "median (range)") for r in rs]
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, labels(ref_rows), labels(rows), autojunk=False).get_opcodes():
            if op == "insert":
                for row in rows[j1:j2]:
                    if not all(marker.search(c) or c == "" for c in row[1:]):
                        problems.append(f"{table}: new row {row} shows more than the marker")
                continue
            if op != "equal":
                problems.append(f"{table}: rows {labels(ref_rows[i1:i2])} became {labels(rows[j1:j2])}")
                continue
            for i, (ref_row, row) in enumerate(zip(ref_rows[i1:i2], rows[j1:j2]), start=i1):
                if len(ref_row) != len(row):
                    problems.append(f"{table} row {i}: {len(row)} cells, was {len(ref_row)}")
                    continue
                # A numeric summary shown as median (IQR) instead of median (range): the extremes
                # are one patient's values each.
                if ref_row[0].endswith("median (range)") and row[0].endswith("median (IQR)") and ref_row[0][:-7] == row[0][:-5]:
                    continue
                for j, (was, now) in enumerate(zip(ref_row, row)):
                    if was != now and not marker.search(now):
                        problems.append(f"{table} row {i} column {j}: {was!r} became {now!r} without the marker")
                    if j in published:
                        continue
                    if j > 0 and any(1 <= c < k for c in leading_counts(was)) and now == was:
                        problems.append(f"{table} row {i} column {j}: the count {was!r} is shown")
    check(name, not problems, "; ".join(problems[:8]) + (f" (+{len(problems) - 8})" if len(problems) > 8 else ""))


# ---------------------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------------------
for k in (10, 11):
    out = run(f"k{k}", k)
    sup = json.loads((out / "results.json").read_text())
    tag = f"small_cell = {k}"

    # 1. only replacements by the marker; every small count replaced.
    changed, shown, withheld_paths = [], [], []

    def visit(path, a, b):
        if path[:1] in (("protocol",), ("disclosure_control",)):
            return
        if b == MARK and a != MARK:
            withheld_paths.append(path)
        elif path[:1] == ("warnings",) and isinstance(a, str):
            if a.replace("k0.toml", "") != b.replace(f"k{k}.toml", ""):
                changed.append(f"warning {a!r} became {b!r}")
        elif not isinstance(a, (dict, list)) and a != b:
            changed.append(f"{'/'.join(map(str, path))}: {a!r} became {b!r}")
        if is_count_position(path) and small(a, k) and b != MARK:
            shown.append(f"{'/'.join(map(str, path))} = {a}")
        if len(path) >= 2 and path[-2] == "rows" and "curve" in path and isinstance(a, list) and len(a) >= 4:
            if small(a[1], k) and b[1:4] != [MARK] * 3:
                shown.append(f"{'/'.join(map(str, path))}: step with {a[1]} at risk shows {b[1:4]}")

    walk(ref, sup, (), visit)
    check(f"{tag}: results.json differs only by suppressed values", not changed, "; ".join(changed[:5]))
    check(f"{tag}: every count from 1 to {k - 1} in results.json is suppressed", not shown, "; ".join(shown[:8]))
    check(f"{tag}: results.json records the pass", sup.get("disclosure_control", {}).get("threshold") == k
          and sup["disclosure_control"]["primary"] > 0 and sup["disclosure_control"]["complementary"] > 0,
          json.dumps(sup.get("disclosure_control")))

    # 2. statistics of a suppressed count go with it; withheld values appear nowhere else.
    beside = []

    def siblings(path, a, b):
        if isinstance(b, dict):
            if b.get("n") == MARK or b.get("of") == MARK:
                for key in ("percent", "lower", "upper"):
                    if key in b and b[key] != MARK:
                        beside.append(f"{'/'.join(map(str, path))}/{key} = {b[key]} beside a suppressed count")
            if b.get("denominator") == MARK:
                for level in b.get("levels", []):
                    if level.get("percent") not in (MARK, None):
                        beside.append(f"{'/'.join(map(str, path))}: a percentage beside a suppressed denominator")

    walk(ref, sup, (), siblings)
    # The statistics withheld from each analysis's results (percentages, CIs, summaries,
    # estimates), as they were, must not be shown elsewhere in that analysis or in another
    # of the same kind (two analyses of one kind may count the same patients). The steps of
    # a Kaplan-Meier curve (times, survival) are the figure's, published by design for every
    # group shown; the same patients' curve in two analyses shares them.
    secrets = {}
    for path in withheld_paths:
        if "curve" in path or path[:1] != ("analyses",) or path[2] != "result":
            continue
        kind = ref["analyses"][path[1]]["kind"]
        for v in numbers(get(ref, path), []):
            if isinstance(v, float) and v != int(v):
                secrets.setdefault(kind, set()).add(v)
    curve_values = set()

    def shown(value, path=()):
        """Every number results.json shows, outside the protocol and the published study's own values."""
        if isinstance(value, dict):
            for key, v in value.items():
                if key not in ("protocol",) and not key.startswith("published"):
                    yield from shown(v, path + (key,))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                yield from shown(v, path + (i,))
        elif isinstance(value, float):
            if "curve" in path:
                curve_values.add(value)
            else:
                yield value

    for _ in shown(sup):  # collects the curves' values first
        pass
    leaked = []
    for analysis in sup["analyses"]:
        values = list(shown(analysis))
        leaked += sorted({v for v in values if v in secrets.get(analysis["kind"], ()) and v not in curve_values})
    check(f"{tag}: no percentage or CI beside a suppressed count", not beside, "; ".join(beside[:5]))
    check(f"{tag}: no withheld percentage, CI or summary elsewhere in results.json", not leaked, str(leaked[:5]))

    # 3. the recovery attack, and its control.
    recovered, attacker = attack(sup, ref, adsl)
    check(f"{tag}: the attacker knows how the groupings nest", attacker.nested > 0, "no nested groupings found")
    check(f"{tag}: no suppressed cell recovered from the published ones", not recovered,
          "; ".join(f"{'/'.join(map(str, c))} = {v} ({how}, was {get(ref, c)})" for c, (v, how) in list(recovered.items())[:6]))
    naive = json.loads(json.dumps(ref))

    def primary_only(path, a, b):
        if is_count_position(path) and small(a, k):
            parent = get(naive, path[:-1])
            parent[path[-1]] = MARK

    walk(ref, ref, (), primary_only)
    control, _ = attack(naive, ref)
    check(f"{tag}: control: the same attack recovers cells when only counts 1..{k - 1} are suppressed",
          len(control) > 0 and all(abs(v - get(ref, c)) < 1e-9 for c, (v, _) in control.items()),
          f"{len(control)} recovered")

    # 4. tables in every format.
    compare_tables(f"{tag}: CSV tables", csv_tables(reference), csv_tables(out), k)
    compare_tables(f"{tag}: XLSX sheets", xlsx_tables(reference / "tables.xlsx"), xlsx_tables(out / "tables.xlsx"), k)
    compare_tables(f"{tag}: report.html tables", html_tables(reference / "report.html"), html_tables(out / "report.html"), k)

    # 5. patient-level datasets.
    page = (out / "report.html").read_text(encoding="utf-8")
    datasets = ("adsl.csv", "adtte.csv", "adrs.csv", "adae.csv")
    check(f"{tag}: no patient-level dataset written or linked",
          not any((out / d).exists() for d in datasets) and not any(d in page for d in datasets)
          and "patient-level analysis datasets" in page and sup["disclosure_control"]["patient_level_datasets"] is False)

out = WORK / "out-k10"
sup = json.loads((out / "results.json").read_text())
# `rwe report` from the suppressed results: the same tables; datasets found beside it are not copied.
beside = WORK / "rerender-source"
shutil.rmtree(beside, ignore_errors=True)
beside.mkdir()
shutil.copy(out / "results.json", beside / "results.json")
shutil.copy(reference / "adsl.csv", beside / "adsl.csv")
again = WORK / "rerender"
shutil.rmtree(again, ignore_errors=True)
r = rwe("report", beside / "results.json", "--out", again)
check("rwe report of suppressed results: same tables, no datasets copied",
      r.returncode == 0 and csv_tables(again) == csv_tables(out) and not (again / "adsl.csv").exists(), r.stderr)

# A results.json of a run with small_cell = 10 that holds every count (as written before the
# pass existed): `rwe report` suppresses it the same way, and writes the suppressed results.
old = WORK / "old-results"
shutil.rmtree(old, ignore_errors=True)
old.mkdir()
unsuppressed = json.loads(json.dumps(ref))
unsuppressed["protocol"]["small_cell"] = 10
(old / "results.json").write_text(json.dumps(unsuppressed))
shutil.copy(reference / "adsl.csv", old / "adsl.csv")
again = WORK / "rerender-old"
shutil.rmtree(again, ignore_errors=True)
r = rwe("report", old / "results.json", "--out", again)
written = json.loads((again / "results.json").read_text()) if r.returncode == 0 else {}
check("rwe report of unsuppressed results with small_cell = 10: suppressed as rwe run does",
      r.returncode == 0 and csv_tables(again) == csv_tables(out) and not (again / "adsl.csv").exists()
      and written.get("disclosure_control", {}).get("threshold") == 10
      and written["analyses"] == sup["analyses"], r.stderr)

asked = run("k10-datasets", 10, "\npatient_level_datasets = true")
page = (asked / "report.html").read_text(encoding="utf-8")
check("patient_level_datasets = true writes and links the datasets beside a suppressed report",
      all((asked / d).exists() for d in ("adsl.csv", "adtte.csv")) and "adsl.csv" in page
      and json.loads((asked / "results.json").read_text())["disclosure_control"]["patient_level_datasets"] is True)
check("small_cell = 0: no disclosure-control entry, datasets written",
      "disclosure_control" not in ref and (reference / "adsl.csv").exists())

if failures:
    print(f"{len(failures)} checks failed")
    sys.exit(1)
print("every check passed")
