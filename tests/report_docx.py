#!/usr/bin/env python3
"""The Word report (docs/report.md, "Word document"; docs/protocols.md, `[report]`).

  report_docx.py RWE SOURCE_DIR WORK_DIR

The reference protocol (studies/thp-first-line.toml) on the demo registry (rwe synth
--profile thp-her2-mbc --patients 228 --seed 20221001):

  1. report.docx holds one Word table (w:tbl) per table of report.html, in the page's
     order, with the page's captions "Table N. <title>", and each table's cells equal to
     its CSV file (tables/<id>.csv) cell for cell; one picture per figure;
  2. cells against results.json: each Kaplan-Meier summary's patients, events and median
     (95% CI) per group, Table 1's counts with percentages, each Cox model's hazard ratios
     with CIs, formatted here from the numbers in results.json;
  3. a second, independent reader: LibreOffice (headless) converts report.docx to PDF, in
     which pdftotext finds every "Table N." and "Figure N." caption, and to text, in which
     every cell checked in 2 is a cell;
  4. `rwe report` renders the same report.docx again, byte for byte;
  5. with small_cell = 10 the Word tables equal the suppressed CSV tables, and no cell
     shows a count the CSV withholds;
  6. [report] docx = false writes no report.docx and links none; without pandoc on PATH a
     protocol that does not say writes the report without it, says so on stderr and in the
     report, and one with docx = true fails (exit status != 0, no output folder);
  7. [report] csv_bom = true starts every CSV with a UTF-8 byte-order mark, and
     csv_ascii = true leaves no en dash, minus sign or >= sign in them.

Each check prints `ok <name>` or `FAIL <name>: why`; the exit status is 1 when one failed.
"""
import csv
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

RWE, SOURCE, WORK = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
failures = []


def check(name, condition, why=""):
    print(("ok " if condition else "FAIL ") + name + ("" if condition else ": " + str(why)[:2000]), flush=True)
    if not condition:
        failures.append(name)


for program, package in (("pandoc", "pandoc"), ("soffice", "libreoffice-writer-nogui"), ("pdftotext", "poppler-utils")):
    if shutil.which(program) is None:
        sys.exit(f"report_docx: {program} is not installed; `make test` installs it (Debian package {package})")

WORK.mkdir(parents=True, exist_ok=True)
db = WORK / "demo.sqlite"
if not db.exists():
    subprocess.run([RWE, "synth", "--profile", "thp-her2-mbc", "--patients", "228", "--seed", "20221001",
                    "--out", WORK / "demo"], check=True, capture_output=True)
    subprocess.run([RWE, "import", WORK / "demo", "--db", db], check=True, capture_output=True)
protocol_text = (SOURCE / "studies" / "thp-first-line.toml").read_text()


def run(name, replace=None, append="", env=None):
    text = protocol_text
    if replace:
        text = re.sub(replace[0], replace[1], text, count=1, flags=re.M)
    path = WORK / f"{name}.toml"
    path.write_text(text + append)
    out = WORK / f"out-{name}"
    shutil.rmtree(out, ignore_errors=True)
    r = subprocess.run([RWE, "run", path, "--db", db, "--out", out], capture_output=True, text=True, env=env)
    return out, r


def docx_tables(path):
    """[(caption, [[cell text, ...], ...])] in document order; leading no-break spaces (the
    nesting of row labels) removed."""
    with zipfile.ZipFile(path) as z:
        root = ET.fromstring(z.read("word/document.xml"))
    tables = []
    for tbl in root.iter(W + "tbl"):
        caption = tbl.find(f"{W}tblPr/{W}tblCaption")
        rows = []
        for tr in tbl.findall(W + "tr"):
            cells = []
            for tc in tr.findall(W + "tc"):
                text = "".join(t.text or "" for t in tc.iter(W + "t"))
                cells.append(text.lstrip("\u00a0"))
            rows.append(cells)
        tables.append((caption.get(W + "val") if caption is not None else None, rows))
    return tables


def media_count(path):
    with zipfile.ZipFile(path) as z:
        return sum(1 for name in z.namelist() if name.startswith("word/media/"))


def page_order(out):
    """Table ids and captions, and the number of figures, as report.html shows them."""
    page = (out / "report.html").read_text()
    ids = re.findall(r'<div class="table-wrap" id="([^"]+)"', page)
    figures = len(re.findall(r'<figure class="figure"', page))
    return ids, figures


def read_csv(path):
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def fixed(x, d):
    # The report's fixed-point format: round half away from zero (as format_fixed).
    from decimal import Decimal, ROUND_HALF_UP
    return str(Decimal(repr(x)).quantize(Decimal(1).scaleb(-d), rounding=ROUND_HALF_UP)) if d else str(round(x))


def est_ci(e, lo, hi, d=1):
    if not isinstance(e, (int, float)):
        return "NR"
    f = lambda v: fixed(v, d) if isinstance(v, (int, float)) else "NR"
    return f"{f(e)} ({f(lo)}\u2013{f(hi)})"


# ---------------------------------------------------------------------------------------
# 1-4: the reference run
# ---------------------------------------------------------------------------------------
ref, r = run("reference")
check("rwe run writes the Word report", r.returncode == 0 and (ref / "report.docx").is_file(), r.stderr)
if failures:
    sys.exit(1)
results = json.loads((ref / "results.json").read_text())
tables = docx_tables(ref / "report.docx")
ids, figure_count = page_order(ref)
check("one Word table per table of the page", len(tables) == len(ids), f"{len(tables)} Word tables, {len(ids)} on the page")
with zipfile.ZipFile(ref / "report.docx") as z:
    styles = ET.fromstring(z.read("word/styles.xml"))
    body = z.read("word/document.xml").decode("utf-8")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
compact = next((st for st in styles.iter(W + "style") if st.get(W + "styleId") == "Compact"), None)
size = compact.find(f"{W}rPr/{W}sz") if compact is not None else None
check("table cells (pandoc's Compact style) in 9-point type, the body at pandoc's 12",
      size is not None and size.get(W + "val") == "18" and 'w:pStyle w:val="Compact"' in body, "")
check("one picture per figure", media_count(ref / "report.docx") == figure_count,
      f"{media_count(ref / 'report.docx')} pictures, {figure_count} figures")
page = (ref / "report.html").read_text()
check("the page links report.docx", 'href="report.docx"' in page)
for k, (table_id, (caption, rows)) in enumerate(zip(ids, tables), start=1):
    check(f"{table_id}: caption numbered as on the page", caption is not None and caption.startswith(f"Table {k}. "), caption)
    if not (ref / "tables" / f"{table_id}.csv").exists():
        continue  # the comparison with published figures is on the page only
    expected = read_csv(ref / "tables" / f"{table_id}.csv")
    check(f"{table_id}: cells equal the CSV", rows == expected,
          next((f"row {i}: {a} != {b}" for i, (a, b) in enumerate(zip(rows, expected)) if a != b), f"{len(rows)} vs {len(expected)} rows"))

by_id = {table_id: rows for table_id, (caption, rows) in zip(ids, tables)}
numbers_seen = []  # cells checked against results.json, looked for again in the PDF

for analysis in results["analyses"]:
    res = analysis["result"]
    if analysis["kind"] == "km":
        rows = by_id.get("tab-" + analysis["id"])
        check(f"{analysis['id']}: Kaplan-Meier table in the Word report", rows is not None)
        if rows is None:
            continue
        header, body = rows[0], rows[1:]
        for stratum in res["strata"]:
            name = stratum.get("label", stratum["name"]) if stratum["name"] else "All"
            row = next((r for r in body if r[0] == name), None)
            median_col = next(i for i, h in enumerate(header) if h.startswith("Median"))
            want = [f"{stratum['n']:.0f}", f"{stratum['events']:.0f}"]
            got = row[1:3] if row else None
            check(f"{analysis['id']} {name}: patients and events as results.json", got == want, f"{got} != {want}")
            check(f"{analysis['id']}: one median column", [h for h in header if h.startswith("Median")] == ["Median (95% CI)"], header)
            primary = stratum["median_primary"]  # the convention's CI
            want_median = est_ci(primary["estimate"], primary["lower"], primary["upper"])
            check(f"{analysis['id']} {name}: median (95% CI) as results.json", row is not None and row[median_col] == want_median,
                  f"{row[median_col] if row else None} != {want_median}")
            numbers_seen.append(want_median)
    elif analysis["kind"] == "table1" and analysis["id"] == "table1":
        rows = by_id.get("tab-table1")
        check("table1 in the Word report", rows is not None)
        for variable in res["rows"]:
            o = variable["overall"]
            if o["type"] != "categorical":
                continue
            for level in o["levels"]:
                want = f"{level['n']} ({fixed(100.0 * level['n'] / o['denominator'], 1)})"
                label = level.get("label", level["level"])
                found = any(r[0] == label and r[1] == want for r in rows)
                check(f"table1 {variable['variable']}={level['level']}: n (%) as results.json", found, want)
                numbers_seen.append(want)
    elif analysis["kind"] == "cox":
        rows = by_id.get("tab-" + analysis["id"])
        check(f"{analysis['id']}: Cox table in the Word report", rows is not None)
        if rows is None:
            continue
        # gtsummary's layout: a number on one row; a category as a heading row followed by a
        # row per level (N, events, then the univariable and multivariable HR; "—" for the
        # reference level).
        header = rows[0]
        check(f"{analysis['id']}: columns", header == ["Characteristic", "N", "Events", "Univariable HR (95% CI)", "p",
                                                     "Multivariable HR (95% CI)", "p"], header)
        uni = {m["covariate"]: m for m in res["univariable"]}
        for term in res["terms"]:
            at = next((k for k, r in enumerate(rows) if r[0] == term["label"]), None)
            check(f"{analysis['id']} {term['name']}: a row named by the variable's label", at is not None, term["label"])
            if at is None:
                continue
            if term["type"] == "numeric":
                c, u = res["coefficients"][term["coefficient"]], uni[term["name"]]["coefficients"][0]
                want = [f"{res['n']}", f"{res['events']}", est_ci(u["exp_coef"], u["lower"], u["upper"], 2),
                        None, est_ci(c["exp_coef"], c["lower"], c["upper"], 2)]
                got = rows[at][1:4] + [None, rows[at][5]]
                check(f"{analysis['id']} {term['name']}: N, events, univariable and multivariable HR as results.json", got == want, f"{got} != {want}")
                numbers_seen += [want[2], want[4]]
                continue
            for k, level in enumerate(term["levels"]):
                row = rows[at + 1 + k]
                label = level.get("label", level["level"])
                if level.get("reference"):
                    want = [label, f"{level['n']}", f"{level['events']}", "\u2014", "", "\u2014", ""]
                else:
                    c = res["coefficients"][level["coefficient"]]
                    u = uni[term["name"]]["coefficients"][k - 1]
                    want = [label, f"{level['n']}", f"{level['events']}", est_ci(u["exp_coef"], u["lower"], u["upper"], 2),
                            row[4], est_ci(c["exp_coef"], c["lower"], c["upper"], 2), row[6]]
                    numbers_seen += [want[3], want[5]]
                check(f"{analysis['id']} {term['name']}={level['level']}: N, events and HRs as results.json", row == want, f"{row} != {want}")

# 3: LibreOffice as the second reader
pdf_dir = WORK / "pdf"
shutil.rmtree(pdf_dir, ignore_errors=True)
profile = (WORK / "lo-profile").resolve()
r = subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", pdf_dir, ref / "report.docx"], capture_output=True, text=True, timeout=300)
pdf = pdf_dir / "report.pdf"
check("LibreOffice opens report.docx and converts it to PDF", r.returncode == 0 and pdf.is_file(), r.stderr + r.stdout)
if pdf.is_file():
    text = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", " ", text)
    missing = [f"Table {k}." for k in range(1, len(ids) + 1) if f"Table {k}." not in flat]
    missing += [f"Figure {k}." for k in range(1, figure_count + 1) if f"Figure {k}." not in flat]
    check("every table and figure caption in LibreOffice's reading", not missing, missing)
# LibreOffice's own text export of the document keeps each table cell whole (the PDF's
# text runs a wrapped cell's lines into those of its neighbours).
r = subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "txt:Text (encoded):UTF8",
                    "--outdir", pdf_dir, ref / "report.docx"], capture_output=True, text=True, timeout=300)
txt = pdf_dir / "report.txt"
check("LibreOffice exports report.docx as text", r.returncode == 0 and txt.is_file(), r.stderr + r.stdout)
if txt.is_file():
    cells = set(line.strip() for line in txt.read_text(encoding="utf-8-sig").splitlines())
    whole = txt.read_text(encoding="utf-8-sig")
    # The generated methods section: its heading, the cohort size from results.json, and the
    # references it cites (the reference study uses Kaplan-Meier and Cox models).
    check("the Statistical analysis section in LibreOffice's reading",
          "Statistical analysis" in cells and f"The cohort comprised {results['cohort']['n']} of the registry's" in whole and
          "Kaplan EL, Meier P." in whole and "Cox DR." in whole, "")
    lost = [n for n in numbers_seen if n not in cells]
    check(f"the {len(numbers_seen)} cells checked against results.json are cells in LibreOffice's reading", not lost and numbers_seen, lost)

# 4: rwe report renders the same document
again = WORK / "again"
shutil.rmtree(again, ignore_errors=True)
r = subprocess.run([RWE, "report", ref / "results.json", "--out", again], capture_output=True, text=True)
check("rwe report writes report.docx again, the same bytes",
      r.returncode == 0 and (again / "report.docx").is_file() and
      (again / "report.docx").read_bytes() == (ref / "report.docx").read_bytes(), r.stderr)

# ---------------------------------------------------------------------------------------
# 5: small-cell suppression
# ---------------------------------------------------------------------------------------
k10, r = run("k10", (r"^small_cell = 0\b", "small_cell = 10"))
check("small_cell = 10: rwe run", r.returncode == 0, r.stderr)
if r.returncode == 0:
    tables10 = docx_tables(k10 / "report.docx")
    ids10, _ = page_order(k10)
    same = all(rows == read_csv(k10 / "tables" / f"{i}.csv") for i, (_, rows) in zip(ids10, tables10)
               if (k10 / "tables" / f"{i}.csv").exists())
    check("small_cell = 10: Word tables equal the suppressed CSV tables", len(tables10) == len(ids10) and same)
    shown = sum(1 for _, rows in tables10 for row in rows for cell in row if cell == "S")
    check("small_cell = 10: the Word report shows suppressed cells", shown > 0, shown)

# ---------------------------------------------------------------------------------------
# 6: docx = false, and pandoc missing
# ---------------------------------------------------------------------------------------
off, r = run("off", append="\n[report]\ndocx = false\n")
check("docx = false: no report.docx, no link", r.returncode == 0 and not (off / "report.docx").exists() and
      'href="report.docx"' not in (off / "report.html").read_text(), r.stderr)
no_pandoc = dict(os.environ, PATH="/nonexistent")
auto, r = run("auto-without-pandoc", env=no_pandoc)
check("without pandoc: the report is written without report.docx", r.returncode == 0 and (auto / "report.html").is_file() and
      not (auto / "report.docx").exists(), r.stderr)
check("without pandoc: stderr says report.docx was not written and why", "report.docx not written: pandoc is not installed" in r.stderr, r.stderr)
check("without pandoc: the report says so", r.returncode == 0 and "pandoc is not installed" in (auto / "report.html").read_text())
forced, r = run("forced-without-pandoc", append="\n[report]\ndocx = true\n", env=no_pandoc)
check("docx = true without pandoc: an error naming pandoc, nothing written",
      r.returncode != 0 and "pandoc" in r.stderr and not forced.exists(), (r.returncode, r.stderr))
bad, r = run("bad-key", append="\n[report]\ndocx = \"yes\"\n")
check("[report] docx = \"yes\": file:line: key: problem", r.returncode != 0 and re.search(r"bad-key\.toml:\d+: report\.docx: ", r.stderr) is not None, r.stderr)
bad, r = run("unknown-key", append="\n[report]\nword = true\n")
check("[report] unknown key rejected", r.returncode != 0 and re.search(r"unknown-key\.toml:\d+: report\.word: unknown key", r.stderr) is not None, r.stderr)

# ---------------------------------------------------------------------------------------
# 7: CSV for Excel
# ---------------------------------------------------------------------------------------
excel, r = run("excel", append="\n[report]\ndocx = false\ncsv_bom = true\ncsv_ascii = true\n")
check("csv_bom, csv_ascii: rwe run", r.returncode == 0, r.stderr)
if r.returncode == 0:
    files = sorted((excel / "tables").glob("*.csv"))
    check("csv_bom: every CSV starts with the UTF-8 byte-order mark",
          files and all(f.read_bytes().startswith(b"\xef\xbb\xbf") for f in files))
    plain = sorted((ref / "tables").glob("*.csv"))
    check("without csv_bom: no CSV starts with one", plain and not any(f.read_bytes().startswith(b"\xef\xbb\xbf") for f in plain))
    symbols = [f.name for f in files if any(s in f.read_text(encoding="utf-8-sig") for s in ("\u2013", "\u2212", "\u2265", "\u2264"))]
    check("csv_ascii: no en dash, minus or >= sign", not symbols, symbols)
    km = read_csv(excel / "tables" / "tab-os.csv")
    km_ref = read_csv(ref / "tables" / "tab-os.csv")
    check("csv_ascii: '45.3 (40.1-50.2)' for '45.3 (40.1\u201350.2)', nothing else changed",
          [[c.replace("\u2013", "-") for c in row] for row in km_ref] == km, (km_ref[:2], km[:2]))

sys.exit(1 if failures else 0)
