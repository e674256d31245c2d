#!/usr/bin/env python3
"""Every key docs/protocols.md documents changes the output of `rwe run`, or is rejected.

    protocol_keys.py RWE SOURCE_DIR WORK_DIR

The documented keys are read from docs/protocols.md (the key tables from "### `[study]`"
on, the derivation table with its arguments, the analysis kinds with their keys, the
keys every analysis has, and the published values per kind). Each has one case or more
below (CASES): an edit of the base protocol tests/data/study/keys/base.toml, and what
must follow:

  changes   the run succeeds and a named place of the output (results.json, adsl.csv,
            adtte.csv, the report's tables, the file names) differs from the run of the
            control protocol (the base protocol, or the base with the case's `control`
            edits), and holds a value;
  shows     the run succeeds and a text (a label, a title) appears in a named output file
            of the case and not in the control's (results.json without the protocol text);
  rejected  exit status 1 and `<file>:<line>: <key>: <problem>` on stderr (an empty problem:
            any, for a rejection rwe does not make yet and whose words are not decided);
  warns     for what depends on the data (a code the registry lacks, a published group
            the results lack): the run succeeds, and `<file>:<line>: <key>: warning:
            <problem>` is on stderr and among the warnings of results.json.

The test fails when a documented key has no case, when a case names a key the document
does not list, when a key whose values form a closed set has no rejected case, or when a
case does not hold. The cases named in KNOWN_IGNORED show a key or value that rwe accepts
and then ignores (a bug of rwe, not of the test): they are expected to fail and are
printed at the end; one that starts to hold fails the test until it is taken off.

A case that changes the analysis datasets is also run with `--derive store` (the store
derives the datasets from SQL generated from the protocol): its datasets must be
byte-identical to those rwe derived from the registry rows.

The registry is the demo registry (rwe synth --profile thp-her2-mbc --patients 228 --seed
20221001) with a biomarkers.csv (Ki-67 by two methods at two dates), an observations.csv
(ECOG and weight near the index date) and the tumour's primary site and histology added
by this test, so that every argument of the derivations has data to act on.
"""

import concurrent.futures
import csv
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import time

# ---------------------------------------------------------------------------------------
# The keys docs/protocols.md documents
# ---------------------------------------------------------------------------------------


def strip_parens(text):
    """The text without parenthesised asides (nested ones too)."""
    out, depth = [], 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def cells(line):
    """The cells of a Markdown table row (a pipe inside backticks does not split)."""
    parts, cell, code = [], "", False
    for ch in line.strip()[1:]:
        if ch == "`":
            code = not code
        if ch == "|" and not code:
            parts.append(cell.strip())
            cell = ""
        else:
            cell += ch
    return parts


def ticks(text):
    return re.findall(r"`([^`]*)`", text)


def choices(text):
    """The values a table cell or a sentence offers as a closed set: two or more backticked
    words (`r`, `sas`, `spss`), or none."""
    words = [t for t in ticks(text) if re.fullmatch(r'"?[a-z][a-z0-9_-]*"?', t)]
    return words if len(words) >= 2 else []


def documented_keys(doc_text):
    """({key: line in docs/protocols.md}, {keys whose values form a closed set}) for every
    key documented from "### `[study]`" up to "#### Warnings":
      study.<key>, index.<key>, index.drugs.<all|any|none>, index.arm.<key>,
      criterion.<key>, variables.<key>, endpoints.<key>   first column of the key tables
                                                          (and the keys of a `{ a, b }` type)
      derive.<name>, derive.<name>.<argument>             the derivation table
      analysis.<key>                                      "Every analysis has ..."
      analysis.kind.<kind>, analysis.<kind>.<key>         the analysis kinds table
      published.<kind>.<key>                              the published values table
                                                          (<level>, <group>: a level's or a
                                                          group's name)"""
    lines = doc_text.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("### `[study]`"))
    end = next(i for i, l in enumerate(lines) if l.startswith("#### Warnings"))
    keys, closed = {}, set()

    def add(key, i, values=()):
        keys.setdefault(key, i + 1)
        if values:
            closed.add(key)

    section, table = None, None
    for i in range(start, end):
        line = lines[i]
        heading = re.match(r"#+ `\[*([a-z_.]+)\]*`", line)
        if heading:
            section, table = heading.group(1), None
            continue
        if line.startswith("|"):
            row = cells(line)
            if not lines[i - 1].startswith("|"):  # a header names the kind of table
                table = {"key": "key", "`derive`": "derive", "kind": "kind"}.get(row[0], "values")
                if section == "published" and row[0] == "kind":
                    table = "published"
                continue
            if set(line) <= set("|-: "):
                continue
            if table == "key":
                for name in ticks(row[0]):
                    name = name.strip("[]")
                    key = name if name.startswith(section + ".") else f"{section}.{name}"
                    add(key, i, choices(row[2] if section == "endpoints" else row[1]))
                    for inner in re.findall(r"`\{([^}`]*)\}`", row[1]):  # table { all, any, none }
                        for sub in inner.split(","):
                            if re.fullmatch(r"\s*[a-z_]+\s*", sub):
                                add(f"{key}.{sub.strip()}", i)
            elif table == "derive":
                name = ticks(row[0])[0]
                add(f"derive.{name}", i)
                arguments = strip_parens(row[1])
                if re.match(r"\s*`[a-z_]+`\s*:", arguments):  # `field`: value, value, ...
                    add(f"derive.{name}.{ticks(arguments)[0]}", i, choices(arguments.split(":", 1)[1]))
                else:  # `a` = value or value, `b`, ...
                    for part in re.split(r",(?![^\[]*\])", arguments):
                        found = ticks(part.split("=")[0])
                        if found:
                            add(f"derive.{name}.{found[0]}", i, choices(part.split("=", 1)[1]) if "=" in part else ())
            elif table == "kind":
                kind = ticks(row[0])[0]
                add(f"analysis.kind.{kind}", i)
                closed.add("analysis.kind")
                for name in ticks(strip_parens(row[1])):
                    add(f"analysis.{kind}.{name}", i)
            elif table == "published":
                text = strip_parens(row[1])
                text = re.sub(r"(of|with|without) `[a-z_]+`:?", "", text)  # references to options
                names = []
                for token in ticks(text):
                    names += re.findall(r"([A-Za-z0-9_<>=\-]+)\s*(?:=|,|\}|$)", token.replace("...", ""))
                for kind in ticks(row[0]):
                    if names:
                        closed.add(f"published.{kind}")
                    for name in names:
                        name = {"level": "<level>", "group": "<group>", "count": None, "denominator": None}.get(name, name)
                        if name:
                            add(f"published.{kind}.{name}", i)
            continue
        table = None
        # Keys given in prose.
        if section == "variables" and "**either**" in line:
            for name in ticks(line + " " + lines[i + 1])[:2]:
                add(f"variables.{name}", i)
        if section == "endpoints" and line.startswith("`NAME = {"):
            for name in ticks(line)[0].split("{", 1)[1].strip("} ").split(","):
                add(f"endpoints.{name.strip()}", i)
        if section == "analysis" and line.startswith("Every analysis has"):
            sentence = strip_parens(" ".join(lines[i:i + 6])).split(". ")[0]
            for name in ticks(sentence):
                add(f"analysis.{name}", i)
        if section == "analysis" and line.startswith("Allowed values:"):  # `conf_type` `log`, ...; `ties` ...
            for part in " ".join(lines[i:i + 4]).split(";"):
                named = re.match(r"\s*(?:Allowed values:)?\s*`([a-z_]+)`(.*)", strip_parens(part))
                if named and choices(named.group(2)):
                    closed.update(k for k in keys if k.startswith("analysis.") and k.endswith("." + named.group(1)))
    return keys, closed


# ---------------------------------------------------------------------------------------
# Edits of the base protocol
# ---------------------------------------------------------------------------------------


class Replace:
    """Replace `old` by `new`: the only occurrence, or the first after `within` (a unique
    text, e.g. 'kind = "cox"', naming the table to edit)."""

    def __init__(self, old, new, within=None):
        self.old, self.new, self.within = old, new, within

    def apply(self, text):
        start = 0
        if self.within is not None:
            if text.count(self.within) != 1:
                raise ValueError(f"{self.within!r} is not unique in the protocol")
            start = text.index(self.within)
        elif text.count(self.old) != 1:
            raise ValueError(f"{self.old!r} occurs {text.count(self.old)} times in the protocol")
        at = text.find(self.old, start)
        if at < 0:
            raise ValueError(f"{self.old!r} not found" + (f" after {self.within!r}" if self.within else ""))
        return text[:at] + self.new + text[at + len(self.old):], at

    def __str__(self):
        where = f" in [{self.within}]" if self.within else ""
        return f"{self.old!r} -> {self.new!r}{where}"


class After:
    """Insert `line` after the line holding `anchor` (unique)."""

    def __init__(self, anchor, line):
        self.anchor, self.line = anchor, line

    def apply(self, text):
        if text.count(self.anchor) != 1:
            raise ValueError(f"{self.anchor!r} occurs {text.count(self.anchor)} times in the protocol")
        at = text.index("\n", text.index(self.anchor)) + 1
        return text[:at] + self.line + "\n" + text[at:], at

    def __str__(self):
        return f"after {self.anchor!r}: {self.line!r}"


class Append:
    """Append a table at the end."""

    def __init__(self, block):
        self.block = block

    def apply(self, text):
        at = len(text) + 1
        return text + "\n" + self.block.strip("\n") + "\n", at

    def __str__(self):
        return "append " + repr(self.block.strip())


def variable(name, definition):
    """Append a variable at the end of [variables]."""
    return After("DENOVO = {", f"{name} = {{ {definition} }}")


def analysis(kind, line):
    """Insert a line into the [[analysis]] of `kind`."""
    return After(f'kind = "{kind}"', line)


def apply_edits(text, edits):
    """The edited text and the line of the last edit (its first line)."""
    at = 0
    for edit in edits:
        text, at = edit.apply(text)
    return text, text.count("\n", 0, at) + 1


# ---------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------


class Case:
    """`edits` and `control` are edits of the base protocol: the case runs the base with
    `edits`, and compares with the base run, or with the base with `control` when given."""
    def __init__(self, key, expect, edits, probe=None, control=(), error=None, line=None, tag=None):
        self.key, self.expect = key, expect
        self.edits = list(edits) if isinstance(edits, (list, tuple)) else [edits]
        self.probe, self.control = probe, list(control) if isinstance(control, (list, tuple)) else [control]
        self.error, self.line, self.tag = error, line, tag
        self.name = None  # set in main(): <key>.<n>, or <key>[<tag>] when tagged

    def describe(self):
        text = "; ".join(str(e) for e in self.edits)
        if self.control:
            text += " (against the base with " + "; ".join(str(e) for e in self.control) + ")"
        return text


def changes(key, edits, probe, control=()):
    """`probe`: one probe (see probe()), or a list of probes that must all change."""
    return Case(key, "changes", edits, probe, control)


def shows(key, edits, file, text, control=()):
    return Case(key, "shows", edits, (file, text), control)


def warns(key, edits, warning_key, problem, line=None):
    """`line` as for rejected()."""
    return Case(key, "warns", edits, error=(warning_key, "warning: " + problem), line=line)


def rejected(key, edits, error_key, problem, line=None, control=(), tag=None):
    """`line`: the expected line of the edited protocol: the first line holding a text, or
    (text, n, offset): `offset` lines from the n-th line holding it (default: the line of
    the last edit)."""
    return Case(key, "rejected", edits, control=control, error=(error_key, problem), line=line, tag=tag)


def target_trial(**options):
    """A target_trial analysis (id tte) appended to the base protocol, with `options` in place
    of (or besides) the defaults; a value None leaves the key out."""
    keys = {"endpoint": '"OS"', "drugs": '["trastuzumab"]', "min_count": "4", "grace_days": "84"}
    keys.update(options)
    return '[[analysis]]\nid = "tte"\nkind = "target_trial"\n' + "".join(f"{k} = {v}\n" for k, v in keys.items() if v is not None)


TTE = "results:analyses[id=tte].result"


KM = 'kind = "km"'


def arms(second='name = "TH"\nregimen = "TH"'):
    """Two arms instead of `regimen`: THP, and a second one."""
    return [Replace('regimen = "THP"\n', ""), Append('[[index.arm]]\nname = "THP"\nregimen = "THP"\n\n[[index.arm]]\n' + second)]


ARMS = arms()
COX_ARM = Replace('covariates = ["AGE"]', 'covariates = ["ARM"]')
T2DRUGS = [Replace("line = 1", 'line = "any"'),
           Replace('regimen = "THP"', 'drugs = { any = ["trastuzumab", "trastuzumab_emtansine"] }')]
KM_RESULT = "results:analyses[id=a_km].result.strata[0]"
KM_BY = After('kind = "km"', 'by = "VISCERAL"')
KM_SVG = "file:figures/fig-a_km.svg"
COX_SVG = "file:figures/fig-a_cox.svg"
CUMINC_SVG = "file:figures/fig-a_cuminc.svg"
RESPONSE_SVG = "file:figures/fig-a_response.svg"
IPTW_HR = "results:analyses[id=a_iptw].result.weighted.hazard_ratio.coef"
PM_HR = "results:analyses[id=a_ps_match].result.matched.hazard_ratio.coef"
CUMINC = "results:analyses[id=a_cuminc].result"
EFS = After("PFS = {", 'EFS = { events = ["progression", "next_line", "death"] }')
PATIENT_FIELDS = ["sex", "menopausal_status", "birth_date", "death_date", "last_contact_date"]
TUMOR_FIELDS = ["stage", "primary_site", "histology", "diagnosis_date", "surgery_date", "metastasis_date"]
LINE_FIELDS = ["regimen", "start_date", "end_date", "end_reason", "line", "clinical_trial", "measurable_disease", "setting",
               "end_or_last_contact", "duration", "ongoing"]  # next_line: the first eight


def every_field(derivation, fields):
    """One new variable F_<field> per field of a derivation: each must give values."""
    return [variable(f"F_{field}", f'derive = "{derivation}", field = "{field}"') for field in fields]


def published_case(kind, key, table, control=()):
    """A published value of the analysis of `kind`: the comparison with ours appears."""
    return changes(f"published.{kind}.{key}", analysis(kind, f"published = {table}"),
                   f"results:analyses[id=a_{kind}].comparison", control=control)


CASES = [
    # --- [study]
    shows("study.id", Replace('id = "keys-base"', 'id = "keys-renamed"'), "report.html", "keys-renamed"),
    rejected("study.id", Replace('id = "keys-base"', "id = 7"), "study.id", "expected a string"),
    rejected("study.id", Replace('id = "keys-base"\n', ""), "study.id", "required key missing", line="[study]"),
    shows("study.title", Replace('title = "Protocol keys: the base protocol"', 'title = "A retitled study"'),
          "report.html", "A retitled study"),
    changes("study.convention", Replace('convention = "r"', 'convention = "spss"'), KM_RESULT + ".median_primary.lower"),
    changes("study.convention", Replace('convention = "r"', 'convention = "sas"'), KM_RESULT + ".at_times[0].lower"),
    rejected("study.convention", Replace('convention = "r"', 'convention = "stata"'), "study.convention", "expected r, sas or spss"),
    changes("study.conf_type", After('convention = "r"', 'conf_type = "log-log"'),
            [KM_RESULT + ".at_times[0].lower", KM_RESULT + ".median_lower"]),
    rejected("study.conf_type", After('convention = "r"', 'conf_type = "loglog"'), "study.conf_type", "not an allowed value"),
    changes("study.median_ci", After('convention = "r"', 'median_ci = "spss"'), KM_RESULT + ".median_primary.lower"),
    rejected("study.median_ci", After('convention = "r"', 'median_ci = "sas"'), "study.median_ci", "not an allowed value"),
    changes("study.ties", After('convention = "r"', 'ties = "breslow"'),
            ["results:analyses[id=a_cox].result.coefficients[0].coef",
             "results:analyses[id=a_landmark].result.results[0].cox.coefficients[0].coef",
             "results:analyses[id=a_landmark].result.results[0].time_dependent_cox.coefficients[0].coef"]),
    rejected("study.ties", After('convention = "r"', 'ties = "exact"'), "study.ties", "not an allowed value"),
    changes("study.time_unit", Replace('time_unit = "months"', 'time_unit = "days"'), "adtte:OS:AVAL"),
    changes("study.time_unit", Replace('time_unit = "months"', 'time_unit = "years"'), KM_RESULT + ".median"),
    changes("study.time_unit", Replace('time_unit = "months"', 'time_unit = "weeks"'), ["adtte:OS:AVAL", "adsl:TRTDUR"]),
    rejected("study.time_unit", Replace('time_unit = "months"', 'time_unit = "fortnights"'), "study.time_unit",
             "expected days, weeks, months or years"),
    changes("study.small_cell", Replace("small_cell = 0", "small_cell = 10"), "file:tables/tab-a_table1.csv"),
    # the competing deaths before progression are fewer than 10: their count and every curve
    # of the group go; arm B of the target trial has fewer than 10 events
    changes("study.small_cell", Replace("small_cell = 0", "small_cell = 10"),
            ["results:analyses[id=a_cuminc].result.curves[0].causes[1].events", "results:analyses[id=a_cuminc].result.curves[0].causes[0].final",
             "results:analyses[id=a_target_trial].result.arms[1].events", "results:analyses[id=a_target_trial].result.hr.hr"]),
    changes("study.patient_level_datasets", Replace("small_cell = 0", "small_cell = 10\npatient_level_datasets = true"),
            "files", control=Replace("small_cell = 0", "small_cell = 10")),
    changes("study.patient_level_datasets", After("small_cell = 0", "patient_level_datasets = false"), "files"),
    rejected("study.patient_level_datasets", After("small_cell = 0", 'patient_level_datasets = "yes"'), "study.patient_level_datasets",
             "expected true or false"),
    # --- [report] (the base sets docx = false; pandoc is installed by make test)
    changes("report.docx", Replace("docx = false", "docx = true"), "files"),
    rejected("report.docx", Replace("docx = false", 'docx = "yes"'), "report.docx", "expected true or false"),
    changes("report.csv_bom", After("docx = false", "csv_bom = true"), "file:tables/tab-a_km.csv"),
    rejected("report.csv_bom", After("docx = false", "csv_bom = 1"), "report.csv_bom", "expected true or false"),
    changes("report.csv_ascii", After("docx = false", "csv_ascii = true"), "file:tables/tab-a_km.csv"),
    rejected("report.csv_ascii", After("docx = false", 'csv_ascii = "on"'), "report.csv_ascii", "expected true or false"),
    rejected("study.small_cell", Replace("small_cell = 0", "small_cell = -1"), "study.small_cell", "must be >= 0"),
    rejected("study.small_cell", Replace("small_cell = 0", 'small_cell = "ten"'), "study.small_cell", "expected an integer"),
    changes("study.data_cutoff", After("small_cell = 0", 'data_cutoff = "2020-12-31"'), "adtte:OS:ADT"),
    changes("study.data_cutoff", After("small_cell = 0", 'data_cutoff = "2020-10-31"'),
            ["adsl:CYCLES", "adsl:TRTDUR", "adsl:PROG", "adsl:L2REG", "adae:AETOXGR", "adtte:PFS:CNSR",
             KM_RESULT + ".events"]),
    rejected("study.data_cutoff", After("small_cell = 0", 'data_cutoff = "2020-02-30"'), "study.data_cutoff", "not a date"),
    rejected("study.data_cutoff", After("small_cell = 0", 'data_cutoff = "2020-06-30"'), "index.accrual",
             "the window ends after the data cut-off", line="accrual ="),

    rejected("study", After("small_cell = 0", 'colour = "red"'), "study.colour", "unknown key (allowed: id, title, "),

    # --- [index]
    changes("index.regimen", Replace('regimen = "THP"', 'regimen = ["THP", "TH"]'), "results:analyses[id=a_attrition].result.steps"),
    warns("index.regimen", Replace('regimen = "THP"', 'regimen = ["THP", "THQ"]'), "index.regimen",
          "no regimen with this code in the registry (thq)"),
    rejected("index.regimen", Replace('regimen = "THP"', 'regimen = ""'), "index.regimen", "a code must not be empty"),
    rejected("index.regimen", Replace('regimen = "THP"\n', ""), "index.regimen", "the index regimen needs", line="[index]"),
    changes("index.drugs", Replace('regimen = "THP"', 'drugs = { all = ["docetaxel", "trastuzumab"] }'),
            "results:analyses[id=a_attrition].result.steps"),
    changes("index.drugs", [Replace('regimen = "THP"', 'regimen = ["THP", "TH"]'), After('regimen = [', 'drugs = { all = ["pertuzumab"] }')],
            "results:analyses[id=a_attrition].result.steps", control=Replace('regimen = "THP"', 'regimen = ["THP", "TH"]')),
    warns("index.drugs", After('regimen = "THP"', 'drugs = { any = ["pertuzumab", "pertuzumib"] }'), "index.drugs",
          "no administration of this drug in the registry (pertuzumib)", line='regimen = "THP"'),
    rejected("index.drugs", After('regimen = "THP"', 'drugs = { some = ["docetaxel"] }'), "index.drugs.some", "unknown key"),
    rejected("index.drugs", After('regimen = "THP"', 'drugs = { none = ["docetaxel"] }'), "index.drugs", "needs `all` or `any`"),
    changes("index.drugs.all", Replace('regimen = "THP"', 'drugs = { any = ["trastuzumab"], all = ["docetaxel"] }'),
            "results:analyses[id=a_attrition].result.steps",
            control=Replace('regimen = "THP"', 'drugs = { any = ["trastuzumab"] }')),
    changes("index.drugs.any", Replace('regimen = "THP"', 'drugs = { all = ["trastuzumab"], any = ["pertuzumab", "capecitabine"] }'),
            "results:analyses[id=a_attrition].result.steps",
            control=Replace('regimen = "THP"', 'drugs = { all = ["trastuzumab"] }')),
    changes("index.drugs.none", T2DRUGS[:1] + [Replace('regimen = "THP"', 'drugs = { any = ["trastuzumab", "trastuzumab_emtansine"], none = ["pertuzumab"] }')],
            "adsl:TRTSDT", control=T2DRUGS),
    changes("index.setting", [Replace('regimen = "THP"', 'regimen = ["THP", "TCHP"]'), Replace("line = 1\n", ""),
                              Replace('setting = "palliative"', 'setting = ["neoadjuvant", "palliative"]')],
            "adsl:TRTSDT", control=[Replace('regimen = "THP"', 'regimen = ["THP", "TCHP"]'), Replace("line = 1\n", "")]),
    rejected("index.setting", Replace('setting = "palliative"', 'setting = "metastatic"'), "index.setting",
             "expected neoadjuvant, adjuvant or palliative"),
    rejected("index.setting", Replace('setting = "palliative"', 'setting = "adjuvant"'), "index.line",
             "only palliative lines are numbered", line="line = 1"),
    changes("index.line", Replace("line = 1", "line = [1, 2]"), "results:analyses[id=a_attrition].result.steps"),
    changes("index.line", Replace("line = 1", 'line = "any"'), "results:analyses[id=a_attrition].result.steps"),
    rejected("index.line", Replace("line = 1", "line = 0"), "index.line", "expected a line number >= 1"),
    rejected("index.line", Replace("line = 1", "line = [0, 0]"), "index.line", "expected lines >= 1"),
    rejected("index.line", Replace("line = 1", "line = [2, 1]"), "index.line", "expected lines >= 1, the first not after the last"),
    rejected("index.line", Replace("line = 1", 'line = "all"'), "index.line", "expected a line number"),
    changes("index.accrual", Replace('accrual = ["2008-08-01", "2020-10-31"]', 'accrual = ["2008-08-01", "2015-12-31"]'),
            "results:analyses[id=a_attrition].result.steps"),
    rejected("index.accrual", Replace('accrual = ["2008-08-01", "2020-10-31"]', 'accrual = ["2020-10-31", "2008-08-01"]'),
             "index.accrual", "the window ends before it starts"),
    rejected("index.accrual", Replace('accrual = ["2008-08-01", "2020-10-31"]', 'accrual = ["2008-08-01"]'),
             "index.accrual", "expected [first date, last date]"),
    rejected("index", After("accrual =", 'cutoff = "2020-12-31"'), "index.cutoff", "unknown key"),
    rejected("index.accrual", Replace('accrual = ["2008-08-01", "2020-10-31"]\n', ""), "index.accrual", "required key missing",
             line="[index]"),
    shows("index.label", After("accrual =", 'label = "docetaxel-trastuzumab-pertuzumab"'), "results.json",
          "docetaxel-trastuzumab-pertuzumab"),
    changes("index.arm", ARMS, "adsl:ARM"),
    changes("index.arm", arms('name = "TH"\nregimen = "TH"\n\n[[index.arm]]\nname = "HT"\nregimen = "HT"') + [COX_ARM],
            "results:analyses[id=a_cox].result.coefficients", control=ARMS + [COX_ARM]),
    rejected("index.arm", [Replace('regimen = "THP"\n', ""), Append('[[index.arm]]\nname = "THP"\nregimen = "THP"')],
             "index.arm", "needs two arms or more", line="[[index.arm]]"),
    rejected("index.arm", ARMS[1:], "index.arm", "give the regimen either in [index] or in each [[index.arm]]", line="[[index.arm]]"),
    rejected("index.arm", arms('name = "TH"\nregimen = "TH"\ncolour = "red"'), "index.arm.colour", "unknown key",
             line='colour = "red"'),
    changes("index.arm.name", arms('name = "docetaxel + trastuzumab"\nregimen = "TH"'),
            "adsl:ARM", control=ARMS),
    rejected("index.arm.name", arms('name = "thp"\nregimen = "TH"'),
             "index.arm.name", "arm names must be unique", line=("[[index.arm]]", 2, 0)),
    changes("index.arm.regimen", arms('name = "TH"\nregimen = "HT"'),
            "adsl:ARM", control=ARMS),
    changes("index.arm.drugs", arms('name = "TH"\ndrugs = { any = ["letrozole", "tamoxifen"] }'),
            "adsl:ARM", control=ARMS),
    rejected("index.arm.drugs", arms('name = "TH"\ndrugs = ["letrozole"]'),
             "index.arm.drugs", "expected a table", line='drugs = ["letrozole"]'),

    # --- [[criterion]]
    changes("criterion.include", Replace('include = "HER2POS"', 'include = "HER2POS and AGE >= 40"'),
            "results:analyses[id=a_attrition].result.steps"),
    rejected("criterion.include", Replace('include = "HER2POS"', 'include = "AGE + 1"'), "criterion[1].include",
             "expected a true/false expression"),
    changes("criterion.exclude", Append('[[criterion]]\nexclude = "AGE > 70"\nlabel = "70 years old or younger"'),
            "results:analyses[id=a_attrition].result.steps"),
    rejected("criterion.exclude", After('include = "HER2POS"', 'exclude = "AGE > 70"'), "criterion[1].include",
             "give `include` or `exclude`", line="[[criterion]]"),
    shows("criterion.label", Replace('label = "HER2-positive"', 'label = "HER2-positive by IHC or ISH"'), "results.json",
          "HER2-positive by IHC or ISH"),
    rejected("criterion.label", Replace('label = "HER2-positive"\n', ""), "criterion[1].label", "required key missing",
             line="[[criterion]]"),
    shows("criterion.reason", After('label = "HER2-positive"', 'reason = "HER2-negative or unknown"'), "results.json",
          "HER2-negative or unknown"),
    rejected("criterion.reason", After('label = "HER2-positive"', "reason = 3"), "criterion[1].reason", "expected a string"),
    rejected("criterion", After('label = "HER2-positive"', 'when = "AGE > 18"'), "criterion[1].when", "unknown key"),

    # --- [variables]
    changes("variables.derive", Replace('SEX = { derive = "patient", field = "sex" }', 'SEX = { derive = "tumor", field = "stage" }'),
            "adsl:SEX"),
    rejected("variables.derive", Replace('SEX = { derive = "patient"', 'SEX = { derive = "person"'), "variables.SEX.derive",
             "unknown derivation"),
    rejected("variables.derive", Replace('SEX = { derive = "patient", field = "sex" }', 'SEX = { derive = "age", expr = "1" }'),
             "variables.SEX", "give `derive` or `expr`, not both"),
    changes("variables.expr", Replace("DENOVO = { expr = \"STAGE == 'iv'\" }", "DENOVO = { expr = \"STAGE == 'iii'\" }"), "adsl:DENOVO"),
    rejected("variables.expr", Replace("DENOVO = { expr = \"STAGE == 'iv'\" }", 'DENOVO = { expr = "AGE and SEX" }'),
             "variables.DENOVO.expr", "'and' needs true/false operands"),
    shows("variables.label", Replace('label = "Menopausal status"', 'label = "Menopause at the index date"'), "results.json",
          "Menopause at the index date"),
    changes("variables.levels", Replace('label = "Menopausal status"', 'label = "Menopausal status", levels = ["unknown", "post", "pre"]'),
            "results:analyses[id=a_table1].result.rows[1].overall.levels"),
    changes("variables.levels", [Replace('label = "Menopausal status"', 'label = "Menopausal status", levels = ["post", "pre", "unknown"]'),
                                 Replace('covariates = ["AGE"]', 'covariates = ["MENO"]')],
            "results:analyses[id=a_cox].result.coefficients[0].coef", control=Replace('covariates = ["AGE"]', 'covariates = ["MENO"]')),
    rejected("variables.levels", Replace('AGE = { derive = "age"', 'AGE = { derive = "age", levels = ["1"]'), "variables.AGE.levels",
             "only a text variable has levels"),
    rejected("variables.levels", Replace('label = "Menopausal status"', 'label = "Menopausal status", levels = ["pre", "peri"]'),
             "variables.MENO.levels", "not a value this variable can take"),
    changes("variables.summary", Replace('label = "Age at index (years)" }', 'label = "Age at index (years)", summary = "median_iqr" }'),
            "file:tables/tab-a_table1.csv"),
    rejected("variables.summary", Replace('label = "Age at index (years)" }', 'label = "Age at index (years)", summary = "mode" }'),
             "variables.AGE.summary", "not an allowed value"),
    rejected("variables.summary", Replace('label = "Menopausal status"', 'label = "Menopausal status", summary = "mean_sd"'),
             "variables.MENO.summary", "only a number has a summary"),
    shows("variables.value_labels", Replace('label = "Menopausal status"', 'label = "Menopausal status", value_labels = { pre = "Premenopausal" }'),
          "results.json", "Premenopausal"),
    rejected("variables.value_labels", Replace('label = "Menopausal status"', 'label = "Menopausal status", value_labels = ["pre"]'),
             "variables.MENO.value_labels", "expected a table"),
    rejected("variables.value_labels", Replace('label = "Menopausal status"',
                                               'label = "Menopausal status", value_labels = { peri = "Perimenopausal" }'),
             "variables.MENO.value_labels.peri", "not a value this variable can take", tag="unknown level"),
    rejected("variables.value_labels", Replace('AGE = { derive = "age"', 'AGE = { derive = "age", value_labels = { "50" = "fifty" }'),
             "variables.AGE.value_labels", "only a text or true/false variable has value labels", tag="numeric"),
    changes("variables.default", Replace('L2REG = { derive = "next_line", field = "regimen" }',
                                         'L2REG = { derive = "next_line", field = "regimen", default = "none" }'), "adsl:L2REG"),
    changes("variables.default", Replace('ECOG = { derive = "observation", name = "ecog" }',
                                         'ECOG = { derive = "observation", name = "ecog", default = 5 }'), "adsl:ECOG"),
    changes("variables.default", variable("NEW", "expr = \"case when AGE > 60 then 'older' end\", default = \"younger\""), "adsl:NEW",
            control=variable("NEW", "expr = \"case when AGE > 60 then 'older' end\"")),
    rejected("variables.default", Replace('field = "regimen" }', 'field = "regimen", default = 0 }'), "variables.L2REG.default",
             "expected a text value"),
    rejected("variables", variable("TRTSDT", 'derive = "age"'), "variables.TRTSDT", "reserved name"),
    rejected("variables", variable("AGE2", 'derive = "age", colour = "red"'), "variables.AGE2.colour", "unknown key"),

    # --- derivations: each gives a column with values; each argument changes it
    changes("derive.age", variable("NEW", 'derive = "age"'), "adsl:NEW"),
    rejected("derive.age", variable("NEW", 'derive = "age", field = "birth_date"'), "variables.NEW.field", "unknown key"),
    changes("derive.patient", variable("NEW", 'derive = "patient", field = "birth_date"'), "adsl:NEW"),
    changes("derive.patient.field", Replace('SEX = { derive = "patient", field = "sex" }',
                                            'SEX = { derive = "patient", field = "last_contact_date" }'), "adsl:SEX"),
    changes("derive.patient.field", every_field("patient", PATIENT_FIELDS), [f"adsl:F_{f}" for f in PATIENT_FIELDS]),
    rejected("derive.patient", Replace('field = "sex"', 'field = "sex", marker = "er"'), "variables.SEX.marker", "unknown key"),
    rejected("derive.patient.field", Replace('field = "sex"', 'field = "weight"'), "variables.SEX.field", "expected one of"),
    rejected("derive.patient.field", Replace('SEX = { derive = "patient", field = "sex" }', 'SEX = { derive = "patient" }'),
             "variables.SEX.field", "required key missing"),
    changes("derive.tumor", variable("NEW", 'derive = "tumor", field = "surgery_date"'), "adsl:NEW"),
    changes("derive.tumor.field", Replace('DXDT = { derive = "tumor", field = "diagnosis_date" }',
                                          'DXDT = { derive = "tumor", field = "metastasis_date" }'), "adsl:DXDT"),
    changes("derive.tumor.field", every_field("tumor", TUMOR_FIELDS), [f"adsl:F_{f}" for f in TUMOR_FIELDS]),
    rejected("derive.tumor.field", Replace('field = "stage"', 'field = "grade"'), "variables.STAGE.field", "expected one of"),
    changes("derive.biomarker", variable("NEW", 'derive = "biomarker", marker = "her2"'), "adsl:NEW"),
    changes("derive.biomarker.marker", Replace('marker = "er"', 'marker = "pr"'), "adsl:ER"),
    warns("derive.biomarker.marker", Replace('marker = "ki67"', 'marker = "ki76"'), "variables.KI67.marker",
          "no result of this marker in the registry (ki76)"),
    warns("derive.biomarker.method", Replace('marker = "ki67"', 'marker = "ki67", method = "ngs"'), "variables.KI67.marker",
          "no result of this marker by ngs in the registry (ki67)"),
    rejected("derive.biomarker.marker", Replace('marker = "ki67", ', ""), "variables.KI67.marker", "required key missing"),
    changes("derive.biomarker.method", Replace('marker = "ki67"', 'marker = "ki67", method = "digital"'), "adsl:KI67"),
    changes("derive.biomarker.method", Replace('marker = "ki67"', 'marker = "ki67", method = ["digital", "ihc"]'), "adsl:KI67",
            control=Replace('marker = "ki67"', 'marker = "ki67", method = "digital"')),
    rejected("derive.biomarker.method", Replace('marker = "ki67"', 'marker = "ki67", method = 5'), "variables.KI67.method",
             "expected a string or an array of strings"),
    changes("derive.biomarker.which", Replace('marker = "ki67"', 'marker = "ki67", which = "latest"'), "adsl:KI67"),
    rejected("derive.biomarker.which", Replace('marker = "ki67"', 'marker = "ki67", which = "first"'), "variables.KI67.which",
             "expected one of diagnosis, latest"),
    changes("derive.biomarker.field", Replace('marker = "ki67", field = "value"', 'marker = "ki67", field = "result"'), "adsl:KI67"),
    rejected("derive.biomarker.field", Replace('marker = "ki67", field = "value"', 'marker = "ki67", field = "unit"'),
             "variables.KI67.field", "expected one of result, value"),
    changes("derive.observation", variable("NEW", 'derive = "observation", name = "weight"'), "adsl:NEW"),
    changes("derive.observation.name", Replace('name = "ecog"', 'name = "weight"'), "adsl:ECOG"),
    warns("derive.observation.name", Replace('name = "ecog"', 'name = "ecgo"'), "variables.ECOG.name",
          "no observation of this name in the registry (ecgo)"),
    rejected("derive.observation.name", Replace('name = "ecog"', "window = [-30, 0]"), "variables.ECOG.name", "required key missing"),
    changes("derive.observation.window", Replace('name = "ecog"', 'name = "ecog", window = [-60, -31]'), "adsl:ECOG"),
    rejected("derive.observation.window", Replace('name = "ecog"', 'name = "ecog", window = [0, -30]'), "variables.ECOG.window",
             "the window ends before it starts"),
    rejected("derive.observation.window", Replace('name = "ecog"', 'name = "ecog", window = 30'), "variables.ECOG.window",
             "expected [first day, last day]"),
    changes("derive.observation.field", Replace('name = "ecog"', 'name = "ecog", field = "result"'), "adsl:ECOG"),
    rejected("derive.observation.field", Replace('name = "ecog"', 'name = "ecog", field = "unit"'), "variables.ECOG.field",
             "expected one of value, result"),
    changes("derive.metastasis", variable("NEW", 'derive = "metastasis", sites = ["brain"]'), "adsl:NEW"),
    changes("derive.metastasis.sites", Replace('sites = ["visceral"]', 'sites = ["bone"]'), "adsl:VISCERAL"),
    rejected("derive.metastasis.sites", Replace('sites = ["visceral"]', 'sites = ["kidney"]'), "variables.VISCERAL.sites", "unknown site"),
    rejected("derive.metastasis.sites", Replace('{ derive = "metastasis", sites = ["visceral"] }', '{ derive = "metastasis" }'),
             "variables.VISCERAL.sites", "required key missing"),
    changes("derive.metastasis.window_days", Replace('sites = ["visceral"]', 'sites = ["visceral"], window_days = 400'), "adsl:VISCERAL"),
    rejected("derive.metastasis.window_days", Replace('sites = ["visceral"]', 'sites = ["visceral"], window_days = -1'),
             "variables.VISCERAL.window_days", "must be >= 0"),
    changes("derive.prior_exposure", variable("NEW", 'derive = "prior_exposure"'), "adsl:NEW"),
    changes("derive.prior_exposure.drugs", Replace('drugs = ["trastuzumab"]', 'drugs = ["doxorubicin"]'), "adsl:PRIORHER2"),
    changes("derive.prior_exposure.regimens", Replace('drugs = ["trastuzumab"]', 'regimens = ["H"]'), "adsl:PRIORHER2"),
    # (no patient is then exposed: the iptw analysis compares by VISCERAL instead of PRIORHER2)
    warns("derive.prior_exposure.drugs", [Replace('treatment = "PRIORHER2"', 'treatment = "VISCERAL"', within='kind = "iptw"'),
                                          Replace('covariates = ["AGE", "VISCERAL"]', 'covariates = ["AGE"]', within='kind = "iptw"'),
                                          Replace('drugs = ["trastuzumab"]', 'drugs = ["trastuzumib"]')], "variables.PRIORHER2.drugs",
          "no administration of this drug in the registry (trastuzumib)"),
    warns("derive.prior_exposure.regimens", Replace('drugs = ["trastuzumab"]', 'regimens = ["H", "HH"]'), "variables.PRIORHER2.regimens",
          "no regimen with this code in the registry (hh)"),
    changes("derive.prior_exposure.settings", Replace('drugs = ["trastuzumab"]', 'drugs = ["trastuzumab"], settings = ["neoadjuvant"]'),
            "adsl:PRIORHER2"),
    rejected("derive.prior_exposure.settings", Replace('drugs = ["trastuzumab"]', 'drugs = ["trastuzumab"], settings = ["metastatic"]'),
             "variables.PRIORHER2.settings", "expected neoadjuvant, adjuvant or palliative"),
    changes("derive.prior_regimens", variable("NEW", 'derive = "prior_regimens"'), "adsl:NEW"),
    changes("derive.prior_regimens.settings", Replace('{ derive = "prior_regimens" }', '{ derive = "prior_regimens", settings = ["adjuvant"] }'),
            "adsl:PRIORREG"),
    rejected("derive.prior_regimens.settings", Replace('{ derive = "prior_regimens" }', '{ derive = "prior_regimens", settings = "curative" }'),
             "variables.PRIORREG.settings", "expected neoadjuvant, adjuvant or palliative"),
    changes("derive.administrations", variable("NEW", 'derive = "administrations", drugs = ["pertuzumab"]'), "adsl:NEW"),
    changes("derive.administrations.drugs", Replace('{ derive = "administrations" }', '{ derive = "administrations", drugs = ["docetaxel"] }'),
            "adsl:CYCLES"),
    changes("derive.administrations.within_days", Replace('{ derive = "administrations" }', '{ derive = "administrations", within_days = 42 }'),
            "adsl:CYCLES"),
    warns("derive.administrations.drugs", Replace('{ derive = "administrations" }', '{ derive = "administrations", drugs = ["docetaxol"] }'),
          "variables.CYCLES.drugs", "no administration of this drug in the registry (docetaxol)"),
    rejected("derive.administrations.within_days", Replace('{ derive = "administrations" }', '{ derive = "administrations", within_days = -3 }'),
             "variables.CYCLES.within_days", "must be >= 0"),
    changes("derive.index_line", variable("NEW", 'derive = "index_line", field = "end_reason"'), "adsl:NEW"),
    changes("derive.index_line.field", Replace('field = "duration"', 'field = "end_or_last_contact"'), "adsl:TRTDUR"),
    changes("derive.index_line.field", every_field("index_line", LINE_FIELDS), [f"adsl:F_{f}" for f in LINE_FIELDS]),
    rejected("derive.index_line.field", Replace('field = "duration"', 'field = "dose"'), "variables.TRTDUR.field", "expected one of"),
    changes("derive.next_line", variable("NEW", 'derive = "next_line", field = "start_date"'), "adsl:NEW"),
    changes("derive.next_line.field", Replace('L2REG = { derive = "next_line", field = "regimen" }',
                                              'L2REG = { derive = "next_line", field = "line" }'), "adsl:L2REG"),
    changes("derive.next_line.field", every_field("next_line", LINE_FIELDS[:8]), [f"adsl:F_{f}" for f in LINE_FIELDS[:8]]),
    rejected("derive.next_line.field", Replace('L2REG = { derive = "next_line", field = "regimen" }',
                                               'L2REG = { derive = "next_line", field = "duration" }'), "variables.L2REG.field",
             "expected one of"),
    changes("derive.best_response", variable("NEW", 'derive = "best_response"'), "adsl:NEW"),
    changes("derive.best_response.measurable_only", Replace('BOR = { derive = "best_response" }',
                                                            'BOR = { derive = "best_response", measurable_only = false }'), "adsl:BOR"),
    changes("derive.best_response.measurable_only", Replace('BOR = { derive = "best_response" }',
                                                            'BOR = { derive = "best_response", measurable_only = false }'),
            "adrs:USUBJID"),
    rejected("derive.best_response.measurable_only", Replace('BOR = { derive = "best_response" }',
                                                             'BOR = { derive = "best_response", measurable_only = "no" }'),
             "variables.BOR.measurable_only", "expected true or false"),
    changes("derive.first_response", variable("NEW", 'derive = "first_response"'), "adsl:NEW"),
    rejected("derive.first_response", variable("NEW", 'derive = "first_response", measurable_only = false'),
             "variables.NEW.measurable_only", "unknown key"),
    changes("derive.progression", variable("NEW", 'derive = "progression"'), "adsl:NEW"),
    changes("derive.progression.field", Replace('PROG = { derive = "progression" }', 'PROG = { derive = "progression", field = "date" }'),
            "adsl:PROG"),
    rejected("derive.progression.field", Replace('PROG = { derive = "progression" }', 'PROG = { derive = "progression", field = "when" }'),
             "variables.PROG.field", "expected one of any, date"),
    changes("derive.band", variable("NEW", 'derive = "band", from = "CYCLES", upper = [10], labels = ["few", "many"]'), "adsl:NEW"),
    changes("derive.band.from", Replace('from = "AGE"', 'from = "ECOG"'), "adsl:AGEGR"),
    rejected("derive.band.from", Replace('from = "AGE"', 'from = "SEX"'), "variables.AGEGR.from", "must name a numeric variable"),
    rejected("derive.band.from", Replace('from = "AGE"', 'from = "LATER"'), "variables.AGEGR.from", "unknown variable"),
    changes("derive.band.upper", Replace("upper = [50, 60]", "upper = [45, 60]"), "adsl:AGEGR"),
    rejected("derive.band.upper", Replace("upper = [50, 60]", "upper = [60, 50]"), "variables.AGEGR.upper", "limits must ascend"),
    changes("derive.band.labels", Replace('labels = ["<=50", "51-60", ">60"]', 'labels = ["younger", "middle", "older"]'), "adsl:AGEGR"),
    rejected("derive.band.labels", Replace('labels = ["<=50", "51-60", ">60"]', 'labels = ["younger", "older"]'), "variables.AGEGR.labels",
             "needs one label more than upper limits"),

    # --- [endpoints]
    shows("endpoints.label", Replace('OS = { events = ["death"] }', 'OS = { label = "Overall survival (keys)", events = ["death"] }'),
          "adtte.csv", "Overall survival (keys)"),
    changes("endpoints.origin", Replace('OS = { events = ["death"] }', 'OS = { origin = "next_line", events = ["death"] }'), "adtte:OS:STARTDT"),
    changes("endpoints.origin", Replace('OS = { events = ["death"] }', 'OS = { origin = "FRDT", events = ["death"] }'), "adtte:OS:STARTDT"),
    changes("endpoints.origin", Replace('OS = { events = ["death"] }', 'OS = { origin = "surgery", events = ["death"] }'),
            "adtte:OS:STARTDT"),
    changes("endpoints.origin", Replace('OS = { events = ["death"] }', 'OS = { origin = "first_response", events = ["death"] }'),
            "adtte:OS:STARTDT"),
    rejected("endpoints.origin", Replace('OS = { events = ["death"] }', 'OS = { origin = "diagnosis", events = ["death"] }'),
             "endpoints.OS.origin", "expected index, surgery, first_response, next_line or a date variable"),
    changes("endpoints.events", Replace('OS = { events = ["death"] }', 'OS = { events = ["next_line", "death"] }'), "adtte:OS:ADT"),
    changes("endpoints.events", Replace('OS = { events = ["death"] }', 'OS = { events = ["index_line_end"] }'), "adtte:OS:ADT"),
    changes("endpoints.events", Replace('OS = { events = ["death"] }', 'OS = { events = ["progression"] }'), "adtte:OS:ADT"),
    changes("endpoints.events", Replace('OS = { events = ["death"] }', 'OS = { origin = "surgery", events = ["metastasis"] }'),
            "adtte:OS:ADT", control=Replace('OS = { events = ["death"] }', 'OS = { origin = "surgery", events = ["death"] }')),
    changes("endpoints.events", Replace('OS = { events = ["death"] }', 'OS = { events = ["FRDT"] }'), "adtte:OS:ADT"),
    rejected("endpoints.events", Replace('OS = { events = ["death"] }', 'OS = { events = ["relapse"] }'), "endpoints.OS.events",
             "expected death, progression"),
    changes("endpoints.censor", Replace('PFS = { events = ["progression", "death"] }',
                                        'PFS = { events = ["progression", "death"], censor = ["last_assessment"] }'), "adtte:PFS:ADT"),
    changes("endpoints.censor", Replace('OS = { events = ["death"] }', 'OS = { events = ["death"], censor = ["next_line"] }'),
            "adtte:OS:ADT"),
    rejected("endpoints.censor", Replace('PFS = { events = ["progression", "death"] }',
                                         'PFS = { events = ["progression", "death"], censor = ["death"] }'), "endpoints.PFS.censor",
             "expected last_contact, last_assessment, next_line"),
    rejected("endpoints.censor", Replace('PFS = { events = ["progression", "death"] }',
                                         'PFS = { events = ["progression", "death"], censor = ["last_contact", "last_assessment"] }'),
             "endpoints.PFS.censor", "give last_contact or last_assessment, not both", tag="last_contact and last_assessment"),
    changes("endpoints.population", Replace('OS = { events = ["death"] }', 'OS = { events = ["death"], population = "RESP" }'),
            "adtte:OS:USUBJID"),
    rejected("endpoints.population", Replace('OS = { events = ["death"] }', 'OS = { events = ["death"], population = "AGE" }'),
             "endpoints.OS.population", "expected a true/false expression"),
    rejected("endpoints", Replace('OS = { events = ["death"] }', 'OS = { events = ["death"], start = "index" }'), "endpoints.OS.start",
             "unknown key"),

    # --- [[analysis]]: the keys every analysis has
    changes("analysis.kind", Replace('kind = "followup"', 'kind = "km"'), "results:analyses[id=a_followup].result"),
    rejected("analysis.kind", Replace('kind = "followup"', 'kind = "kaplan_meier"'), "analysis.a_followup.kind", "unknown kind"),
    changes("analysis.id", Replace('id = "a_km"', 'id = "survival"'), "files"),
    rejected("analysis.id", Replace('id = "a_km"', 'id = "a km"'), "analysis.a km.id", "expected letters, digits, _ and - only"),
    rejected("analysis.id", Replace('id = "a_km"', 'id = "a_cox"'), "analysis.id", "duplicate id", line=('id = "a_cox"', 2, -1)),
    shows("analysis.title", analysis("km", 'title = "Survival of the keys cohort"'), "results.json", "Survival of the keys cohort"),
    changes("analysis.where", analysis("km", 'where = "AGE < 60"'), KM_RESULT + ".n"),
    changes("analysis.where", analysis("table1", 'where = "VISCERAL"'), "results:analyses[id=a_table1].result.rows[0].overall"),
    changes("analysis.where", analysis("followup", 'where = "AGE < 60"'), "results:analyses[id=a_followup].result.observed.n"),
    changes("analysis.where", analysis("logrank", 'where = "AGE < 60"'), "results:analyses[id=a_logrank].result.tests[0].groups[0].n"),
    changes("analysis.where", analysis("response", 'where = "AGE < 60"'), "results:analyses[id=a_response].result.measurable"),
    changes("analysis.where", analysis("adverse_events", 'where = "AGE < 60"'), "results:analyses[id=a_adverse_events].result.n"),
    changes("analysis.where", analysis("association", 'where = "AGE < 60"'), "results:analyses[id=a_association].result.tests[0].counts"),
    changes("analysis.where", analysis("cox", 'where = "AGE < 60"'), "results:analyses[id=a_cox].result.n"),
    changes("analysis.where", analysis("landmark", 'where = "AGE < 60"'),
            "results:analyses[id=a_landmark].result.results[0].at_risk_at_landmark"),
    rejected("analysis.where", analysis("attrition", 'where = "AGE < 60"'), "analysis.a_attrition.where",
             "the attrition is of the whole cohort"),
    rejected("analysis.where", analysis("km", 'where = "AGE"'), "analysis.a_km.where", "expected a true/false expression"),
    changes("analysis.published", analysis("followup", "published = { median = 30 }"), "results:analyses[id=a_followup].comparison"),
    rejected("analysis.published", analysis("cox", "published = { hr = 0.7 }"), "analysis.a_cox.published",
             "the kind cox takes no published values"),
    rejected("analysis.published", analysis("landmark", "published = { n = 200 }"), "analysis.a_landmark.published",
             "the kind landmark takes no published values"),
    rejected("analysis", analysis("km", "colour = \"red\""), "analysis.a_km.colour", "unknown key for kind km"),

    # --- each kind runs
    changes("analysis.kind.attrition", Append('[[analysis]]\nid = "extra"\nkind = "attrition"'), "results:analyses[id=extra].result.n"),
    changes("analysis.kind.table1", Append('[[analysis]]\nid = "extra"\nkind = "table1"\nvariables = ["ECOG"]'),
            "results:analyses[id=extra].result.rows[0].overall.mean"),
    changes("analysis.kind.followup", Append('[[analysis]]\nid = "extra"\nkind = "followup"\nendpoint = "PFS"'),
            "results:analyses[id=extra].result.reverse_km.median"),
    changes("analysis.kind.km", Append('[[analysis]]\nid = "extra"\nkind = "km"\nendpoint = "PFS"'),
            "results:analyses[id=extra].result.strata[0].median"),
    changes("analysis.kind.logrank", Append('[[analysis]]\nid = "extra"\nkind = "logrank"\nendpoints = ["PFS"]\nby = ["AGEGR"]'),
            "results:analyses[id=extra].result.tests[0].p"),
    changes("analysis.kind.response", Append('[[analysis]]\nid = "extra"\nkind = "response"\nby = ["AGEGR"]'),
            "results:analyses[id=extra].result.by[0].orr_test.p"),
    changes("analysis.kind.adverse_events", Append('[[analysis]]\nid = "extra"\nkind = "adverse_events"'),
            "results:analyses[id=extra].result.terms"),
    changes("analysis.kind.association", Append('[[analysis]]\nid = "extra"\nkind = "association"\nby = "AGEGR"\noutcomes = ["DENOVO"]'),
            "results:analyses[id=extra].result.tests[0].p"),
    changes("analysis.kind.cox", Append('[[analysis]]\nid = "extra"\nkind = "cox"\nendpoint = "PFS"\ncovariates = ["AGEGR"]'),
            "results:analyses[id=extra].result.coefficients"),
    changes("analysis.kind.landmark", Append('[[analysis]]\nid = "extra"\nkind = "landmark"\nendpoints = ["PFS"]\ndrugs = ["trastuzumab"]\n'
                                             'min_count = 4\nlandmark_days = 84'),
            "results:analyses[id=extra].result.results[0].log_rank.p"),
    changes("analysis.kind.iptw", Append('[[analysis]]\nid = "extra"\nkind = "iptw"\nendpoint = "OS"\ntreatment = "VISCERAL"\ncovariates = ["AGE"]'),
            "results:analyses[id=extra].result.weighted.hazard_ratio.coef"),

    changes("analysis.kind.ps_match", Append('[[analysis]]\nid = "extra"\nkind = "ps_match"\nendpoint = "OS"\ntreatment = "VISCERAL"\ncovariates = ["AGE"]'),
            "results:analyses[id=extra].result.matched.hazard_ratio.coef"),
    changes("analysis.kind.target_trial", Append(target_trial()), "results:analyses[id=tte].result.arms"),

    # --- analysis options, kind by kind
    changes("analysis.table1.variables", Replace('variables = ["AGE", "MENO"]', 'variables = ["AGE", "AGEGR"]'),
            "results:analyses[id=a_table1].result.rows[1]"),
    rejected("analysis.table1.variables", Replace('variables = ["AGE", "MENO"]', 'variables = ["AGE", "WEIGHT"]'),
             "analysis.a_table1.variables", "unknown variable"),
    rejected("analysis.table1.variables", Replace('variables = ["AGE", "MENO"]', 'variables = ["AGE", "AGE"]'),
             "analysis.a_table1.variables", "listed twice"),
    rejected("analysis.table1.variables", Replace('variables = ["AGE", "MENO"]', "variables = []"),
             "analysis.a_table1.variables", "must not be empty"),
    rejected("analysis.table1.variables", Replace('variables = ["AGE", "MENO"]\n', ""), "analysis.a_table1.variables",
             "required key missing", line=('id = "a_table1"', 1, -1)),
    changes("analysis.table1.by", analysis("table1", 'by = "VISCERAL"'), "results:analyses[id=a_table1].result.rows[1].comparison"),
    rejected("analysis.table1.by", analysis("table1", 'by = "AGE"'), "analysis.a_table1.by",
             "a numeric variable cannot define groups; cut it into bands"),
    changes("analysis.table1.numeric", analysis("table1", 'numeric = "mean_sd"'), "file:tables/tab-a_table1.csv"),
    rejected("analysis.table1.numeric", analysis("table1", 'numeric = "mean"'), "analysis.a_table1.numeric", "not an allowed value"),
    changes("analysis.table1.percent_decimals", analysis("table1", "percent_decimals = 0"), "file:tables/tab-a_table1.csv"),
    rejected("analysis.table1.percent_decimals", analysis("table1", "percent_decimals = -1"), "analysis.a_table1.percent_decimals",
             "must be >= 0"),
    changes("analysis.table1.smd", [analysis("table1", 'by = "VISCERAL"'), analysis("table1", "smd = true")],
            "results:analyses[id=a_table1].result.rows[0].smd", control=[analysis("table1", 'by = "VISCERAL"')]),
    rejected("analysis.table1.smd", analysis("table1", 'smd = "yes"'), "analysis.a_table1.smd", "expected true or false"),
    changes("analysis.followup.endpoint", Replace('endpoint = "OS"', 'endpoint = "PFS"', within='kind = "followup"'),
            "results:analyses[id=a_followup].result.observed.median"),
    rejected("analysis.followup.endpoint", Replace('endpoint = "OS"', 'endpoint = "DFS"', within='kind = "followup"'),
             "analysis.a_followup.endpoint", "unknown endpoint"),
    changes("analysis.km.endpoint", Replace('endpoint = "OS"', 'endpoint = "PFS"', within=KM), KM_RESULT + ".median"),
    rejected("analysis.km.endpoint", Replace('endpoint = "OS"\n', "", within=KM), "analysis.a_km.endpoint", "required key missing",
             line=('id = "a_km"', 1, -1)),
    changes("analysis.km.by", analysis("km", 'by = "VISCERAL"'), KM_RESULT + ".n"),
    rejected("analysis.km.by", analysis("km", 'by = "TRTDUR"'), "analysis.a_km.by", "a numeric variable cannot define groups"),
    rejected("analysis.km.by", analysis("km", 'by = "FRDT"'), "analysis.a_km.by", "a date variable cannot define groups"),
    changes("analysis.km.times", Replace("times = [12]", "times = [24]"), KM_RESULT + ".at_times[0].surv"),
    rejected("analysis.km.times", Replace("times = [12]", "times = [24, 12]"), "analysis.a_km.times", "must ascend strictly"),
    rejected("analysis.km.times", Replace("times = [12]", "times = [-1]"), "analysis.a_km.times", "must be >= 0"),
    changes("analysis.km.conf_type", analysis("km", 'conf_type = "log-log"'), KM_RESULT + ".at_times[0].lower"),
    changes("analysis.km.conf_type", analysis("km", 'conf_type = "plain"'), KM_RESULT + ".at_times[0].lower"),
    changes("analysis.km.conf_type", analysis("km", 'conf_type = "logit"'), KM_RESULT + ".at_times[0].lower"),
    changes("analysis.km.conf_type", analysis("km", 'conf_type = "arcsin"'), KM_RESULT + ".at_times[0].lower"),
    rejected("analysis.km.conf_type", analysis("km", 'conf_type = "loglog"'), "analysis.a_km.conf_type", "not an allowed value"),
    changes("analysis.km.median_ci", analysis("km", 'median_ci = "spss"'), KM_RESULT + ".median_primary.lower"),
    rejected("analysis.km.median_ci", analysis("km", 'median_ci = "sas"'), "analysis.a_km.median_ci", "not an allowed value"),
    changes("analysis.km.rmst_tau", analysis("km", "rmst_tau = 24"), KM_RESULT + ".rmst.rmean"),
    changes("analysis.km.rmst_tau", analysis("km", "rmst_tau = 36"), KM_RESULT + ".rmst.rmean", control=analysis("km", "rmst_tau = 24")),
    rejected("analysis.km.rmst_tau", analysis("km", "rmst_tau = 0"), "analysis.a_km.rmst_tau", "must be > 0"),
    changes("analysis.logrank.endpoints", Replace('endpoints = ["OS"]', 'endpoints = ["PFS"]', within='kind = "logrank"'),
            "results:analyses[id=a_logrank].result.tests[0].chisq"),
    rejected("analysis.logrank.endpoints", Replace('endpoints = ["OS"]', 'endpoints = ["OS", "TTP"]', within='kind = "logrank"'),
             "analysis.a_logrank.endpoints", "unknown endpoint"),
    changes("analysis.logrank.by", Replace('by = ["VISCERAL"]', 'by = ["AGEGR"]', within='kind = "logrank"'),
            "results:analyses[id=a_logrank].result.tests[0].chisq"),
    rejected("analysis.logrank.by", Replace('by = ["VISCERAL"]', 'by = "VISCERAL"', within='kind = "logrank"'),
             "analysis.a_logrank.by", "expected an array of variable names"),
    changes("analysis.logrank.rho", analysis("logrank", "rho = 1"), "results:analyses[id=a_logrank].result.tests[0].chisq"),
    rejected("analysis.logrank.rho", analysis("logrank", "rho = -1"), "analysis.a_logrank.rho", "must be >= 0"),
    changes("analysis.logrank.strata", analysis("logrank", 'strata = "AGEGR"'), "results:analyses[id=a_logrank].result.tests[0].chisq"),
    rejected("analysis.logrank.strata", analysis("logrank", 'strata = "AGE"'), "analysis.a_logrank.strata",
             "a numeric variable cannot define groups"),
    changes("analysis.response.by", analysis("response", 'by = ["VISCERAL"]'), "results:analyses[id=a_response].result.by"),
    rejected("analysis.response.by", analysis("response", 'by = ["CYCLES"]'), "analysis.a_response.by",
             "a numeric variable cannot define groups"),
    changes("analysis.response.variable", analysis("response", 'variable = "BORALL"'), "results:analyses[id=a_response].result.measurable"),
    rejected("analysis.response.variable", analysis("response", 'variable = "AGE"'), "analysis.a_response.variable",
             "expected a best-response variable"),
    rejected("analysis.response.variable", analysis("response", 'variable = "SEX"'), "analysis.a_response.variable",
             "expected a best-response variable (derive = \"best_response\") (SEX)", tag="not a best response"),
    changes("analysis.adverse_events.terms", Replace('terms = ["nausea"]', 'terms = ["Vomiting"]'),
            "results:analyses[id=a_adverse_events].result.terms[0].any"),
    rejected("analysis.adverse_events.terms", Replace('terms = ["nausea"]', "terms = []"), "analysis.a_adverse_events.terms",
             "must not be empty"),
    rejected("analysis.adverse_events.terms", Replace('terms = ["nausea"]', 'terms = ["nausea", "Nausea"]'),
             "analysis.a_adverse_events.terms", "listed twice", tag="twice in other case"),
    warns("analysis.adverse_events.terms", Replace('terms = ["nausea"]', 'terms = ["nausea", "sepsis"]'),
          "analysis.a_adverse_events.terms", "no adverse event with this term in the cohort (sepsis)"),
    shows("analysis.adverse_events.grading", analysis("adverse_events", 'grading = "CTCAE v4.03"'), "report.html", "CTCAE v4.03"),
    rejected("analysis.adverse_events.grading", analysis("adverse_events", "grading = 5"), "analysis.a_adverse_events.grading",
             "expected a string"),
    changes("analysis.association.by", Replace('by = "VISCERAL"', 'by = "AGEGR"', within='kind = "association"'),
            "results:analyses[id=a_association].result.tests[0].counts"),
    rejected("analysis.association.by", Replace('by = "VISCERAL"', 'by = "KI67"', within='kind = "association"'),
             "analysis.a_association.by", "a numeric variable cannot define groups"),
    changes("analysis.association.outcomes", Replace('outcomes = ["nausea:3"]', 'outcomes = ["nausea:1"]'),
            "results:analyses[id=a_association].result.tests[0].counts"),
    changes("analysis.association.outcomes", Replace('outcomes = ["nausea:3"]', 'outcomes = ["PROG"]'),
            "results:analyses[id=a_association].result.tests[0].counts"),
    warns("analysis.association.outcomes", Replace('outcomes = ["nausea:3"]', 'outcomes = ["nausea:3", "sepsis:3"]'),
          "analysis.a_association.outcomes", "no adverse event with this term in the cohort (sepsis)"),
    rejected("analysis.association.outcomes", Replace('outcomes = ["nausea:3"]', 'outcomes = ["nausea:6"]'),
             "analysis.a_association.outcomes", "expected a variable name or \"term:k\" with k an integer from 1 to 5"),
    rejected("analysis.association.outcomes", Replace('outcomes = ["nausea:3"]', 'outcomes = ["nausea:3", "Nausea:3"]'),
             "analysis.a_association.outcomes", "listed twice", tag="twice in other case"),
    rejected("analysis.association.outcomes", Replace('outcomes = ["nausea:3"]', 'outcomes = ["AGE"]'),
             "analysis.a_association.outcomes", "a numeric variable cannot define groups"),
    changes("analysis.cox.endpoint", Replace('endpoint = "OS"', 'endpoint = "PFS"', within='kind = "cox"'),
            "results:analyses[id=a_cox].result.coefficients[0].coef"),
    rejected("analysis.cox.endpoint", Replace('endpoint = "OS"', 'endpoint = ["OS"]', within='kind = "cox"'),
             "analysis.a_cox.endpoint", "expected an endpoint name"),
    changes("analysis.cox.covariates", Replace('covariates = ["AGE"]', 'covariates = ["AGE", "VISCERAL"]'),
            "results:analyses[id=a_cox].result.coefficients[0].coef"),
    rejected("analysis.cox.covariates", Replace('covariates = ["AGE"]', 'covariates = ["AGE", "TRTSDT"]'),
             "analysis.a_cox.covariates", "a date cannot be a covariate"),
    changes("analysis.cox.ties", analysis("cox", 'ties = "breslow"'), "results:analyses[id=a_cox].result.coefficients[0].coef"),
    rejected("analysis.cox.ties", analysis("cox", 'ties = "exact"'), "analysis.a_cox.ties", "not an allowed value"),
    changes("analysis.cox.strata", analysis("cox", 'strata = "VISCERAL"'), "results:analyses[id=a_cox].result.coefficients[0].coef"),
    rejected("analysis.cox.strata", analysis("cox", 'strata = "CYCLES"'), "analysis.a_cox.strata",
             "a numeric variable cannot define groups"),
    changes("analysis.cox.univariable", [Replace('covariates = ["AGE"]', 'covariates = ["AGE", "VISCERAL"]'),
                                         analysis("cox", "univariable = false")], "file:tables/tab-a_cox.csv",
            control=Replace('covariates = ["AGE"]', 'covariates = ["AGE", "VISCERAL"]')),
    warns("analysis.cox.univariable", analysis("cox", "univariable = true"), "analysis.a_cox.univariable",
          "with one covariate the univariable model is the model itself"),
    rejected("analysis.cox.univariable", analysis("cox", 'univariable = "yes"'), "analysis.a_cox.univariable", "expected true or false"),
    changes("analysis.iptw.endpoint", [Replace('endpoint = "PFS"', 'endpoint = "OS"', within='kind = "iptw"')],
            IPTW_HR),
    rejected("analysis.iptw.endpoint", [Replace('endpoint = "PFS"', 'endpoint = "TTP"', within='kind = "iptw"')],
             "analysis.a_iptw.endpoint", "unknown endpoint"),
    changes("analysis.iptw.treatment", [Replace('treatment = "PRIORHER2"', 'treatment = "VISCERAL"', within='kind = \"iptw\"'),
                                        Replace('covariates = ["AGE", "VISCERAL"]', 'covariates = ["AGE", "PRIORHER2"]', within='kind = \"iptw\"')],
            "results:analyses[id=a_iptw].result.treatment"),
    rejected("analysis.iptw.treatment", [Replace('treatment = "PRIORHER2"', 'treatment = "AGE"', within='kind = \"iptw\"')],
             "analysis.a_iptw.treatment", "a numeric variable cannot define groups"),
    rejected("analysis.iptw.treatment", [Replace('treatment = "PRIORHER2"', 'treatment = "MENO"', within='kind = \"iptw\"')],
             "analysis.a_iptw.treatment", "needs at most two levels present (the second is the treated group); the cohort has 3",
             tag="three levels"),
    changes("analysis.iptw.covariates", [Replace('covariates = ["AGE", "VISCERAL"]', 'covariates = ["AGE", "VISCERAL", "MENO"]', within='kind = \"iptw\"')],
            "results:analyses[id=a_iptw].result.balance"),
    rejected("analysis.iptw.covariates", [Replace('covariates = ["AGE", "VISCERAL"]', 'covariates = ["AGE", "TRTSDT"]', within='kind = \"iptw\"')],
             "analysis.a_iptw.covariates", "a date cannot be a covariate"),
    rejected("analysis.iptw.covariates", [Replace('covariates = ["AGE", "VISCERAL"]', 'covariates = ["AGE", "PRIORHER2"]', within='kind = \"iptw\"')],
             "analysis.a_iptw.covariates", "the treatment cannot be its own covariate", tag="the treatment"),
    changes("analysis.iptw.estimand", [analysis("iptw", 'estimand = "att"')], IPTW_HR),
    rejected("analysis.iptw.estimand", [analysis("iptw", 'estimand = "atc"')], "analysis.a_iptw.estimand", "not an allowed value"),
    changes("analysis.iptw.stabilize", [analysis("iptw", "stabilize = false")],
            "results:analyses[id=a_iptw].result.weights.treated.sum"),
    rejected("analysis.iptw.stabilize", [analysis("iptw", 'stabilize = "no"')], "analysis.a_iptw.stabilize", "expected true or false"),
    changes("analysis.iptw.trim", [analysis("iptw", "trim = 0.3")], "results:analyses[id=a_iptw].result.weighting.trimmed",),
    rejected("analysis.iptw.trim", [analysis("iptw", "trim = 0.5")], "analysis.a_iptw.trim", "must be > 0 and < 0.5"),
    changes("analysis.iptw.truncate", [analysis("iptw", "truncate = 0.9")],
            "results:analyses[id=a_iptw].result.weighting.truncated"),
    rejected("analysis.iptw.truncate", [analysis("iptw", "truncate = 1")], "analysis.a_iptw.truncate", "must be > 0 and < 1"),
    changes("analysis.iptw.times", [analysis("iptw", "times = [6, 12]")], "results:analyses[id=a_iptw].result.differences.survival"),
    rejected("analysis.iptw.times", [analysis("iptw", "times = [12, 6]")], "analysis.a_iptw.times", "must ascend strictly"),
    changes("analysis.iptw.rmst_tau", [analysis("iptw", "rmst_tau = 24")], "results:analyses[id=a_iptw].result.differences.rmst"),
    rejected("analysis.iptw.rmst_tau", [analysis("iptw", "rmst_tau = 0")], "analysis.a_iptw.rmst_tau", "must be > 0"),
    changes("analysis.iptw.bootstrap", [analysis("iptw", "times = [12]\nbootstrap = 20")],
            "results:analyses[id=a_iptw].result.differences.survival", control=[analysis("iptw", "times = [12]")]),
    rejected("analysis.iptw.bootstrap", [analysis("iptw", "bootstrap = -1")], "analysis.a_iptw.bootstrap", "must be >= 0"),
    changes("analysis.iptw.seed", [analysis("iptw", "times = [12]\nbootstrap = 20\nseed = 5")],
            "results:analyses[id=a_iptw].result.differences.survival", control=[analysis("iptw", "times = [12]\nbootstrap = 20")]),
    rejected("analysis.iptw.seed", [analysis("iptw", "seed = 1.5")], "analysis.a_iptw.seed", "expected an integer"),
    changes("analysis.ps_match.endpoint", [Replace('endpoint = "PFS"', 'endpoint = "OS"', within='kind = "ps_match"')], PM_HR),
    rejected("analysis.ps_match.endpoint", [Replace('endpoint = "PFS"', 'endpoint = "TTP"', within='kind = "ps_match"')],
             "analysis.a_ps_match.endpoint", "unknown endpoint"),
    changes("analysis.ps_match.treatment", [Replace('treatment = "PRIORHER2"', 'treatment = "VISCERAL"', within='kind = "ps_match"'),
                                            Replace('covariates = ["AGE", "VISCERAL"]', 'covariates = ["AGE", "PRIORHER2"]', within='kind = "ps_match"')],
            "results:analyses[id=a_ps_match].result.treatment"),
    rejected("analysis.ps_match.treatment", [Replace('treatment = "PRIORHER2"', 'treatment = "AGE"', within='kind = "ps_match"')],
             "analysis.a_ps_match.treatment", "a numeric variable cannot define groups"),
    changes("analysis.ps_match.covariates", [Replace('covariates = ["AGE", "VISCERAL"]', 'covariates = ["AGE", "VISCERAL", "MENO"]', within='kind = "ps_match"')],
            "results:analyses[id=a_ps_match].result.balance"),
    rejected("analysis.ps_match.covariates", [Replace('covariates = ["AGE", "VISCERAL"]', 'covariates = ["AGE", "PRIORHER2"]', within='kind = "ps_match"')],
             "analysis.a_ps_match.covariates", "the treatment cannot be its own covariate"),
    changes("analysis.ps_match.ratio", [analysis("ps_match", "ratio = 2")], "results:analyses[id=a_ps_match].result.weights.control.n_weighted"),
    rejected("analysis.ps_match.ratio", [analysis("ps_match", "ratio = 0")], "analysis.a_ps_match.ratio", "must be >= 1"),
    changes("analysis.ps_match.caliper", [analysis("ps_match", "caliper = 0.05")], "results:analyses[id=a_ps_match].result.matching.caliper_distance"),
    rejected("analysis.ps_match.caliper", [analysis("ps_match", "caliper = 0")], "analysis.a_ps_match.caliper", "must be > 0"),
    changes("analysis.ps_match.replace", [analysis("ps_match", "replace = true")], "results:analyses[id=a_ps_match].result.weights.control.max"),
    rejected("analysis.ps_match.replace", [analysis("ps_match", 'replace = "yes"')], "analysis.a_ps_match.replace", "expected true or false"),
    changes("analysis.ps_match.order", [analysis("ps_match", 'order = "data"')], PM_HR),
    rejected("analysis.ps_match.order", [analysis("ps_match", 'order = "random"')], "analysis.a_ps_match.order", "not an allowed value"),
    changes("analysis.ps_match.distance", [analysis("ps_match", 'distance = "logit"\ncaliper = 0.05')],
            "results:analyses[id=a_ps_match].result.matching.caliper_distance", control=[analysis("ps_match", "caliper = 0.05")]),
    rejected("analysis.ps_match.distance", [analysis("ps_match", 'distance = "mahalanobis"')], "analysis.a_ps_match.distance", "not an allowed value"),
    changes("analysis.landmark.endpoints", Replace('endpoints = ["OS"]', 'endpoints = ["PFS"]', within='kind = "landmark"'),
            "results:analyses[id=a_landmark].result.results[0].at_risk_at_landmark"),
    rejected("analysis.landmark.endpoints", Replace('endpoints = ["OS"]', 'endpoints = ["OS", "OS"]', within='kind = "landmark"'),
             "analysis.a_landmark.endpoints", "listed twice"),
    changes("analysis.landmark.drugs", Replace('drugs = ["docetaxel"]', 'drugs = ["pertuzumab"]', within='kind = "landmark"'),
            "results:analyses[id=a_landmark].result.results[0].strata"),
    warns("analysis.landmark.drugs", Replace('drugs = ["docetaxel"]', 'drugs = ["docetaxol"]', within='kind = "landmark"'),
          "analysis.a_landmark.drugs", "no administration of this drug in the registry (docetaxol)"),
    rejected("analysis.landmark.drugs", Replace('drugs = ["docetaxel"]', "drugs = []", within='kind = "landmark"'),
             "analysis.a_landmark.drugs", "must not be empty"),
    rejected("analysis.landmark.drugs", Replace('drugs = ["docetaxel"]', 'drugs = ["docetaxel", "Docetaxel"]', within='kind = "landmark"'),
             "analysis.a_landmark.drugs", "listed twice", tag="twice in other case"),
    changes("analysis.landmark.min_count", Replace("min_count = 6", "min_count = 4"),
            "results:analyses[id=a_landmark].result.results[0].strata"),
    rejected("analysis.landmark.min_count", Replace("min_count = 6", "min_count = 0"), "analysis.a_landmark.min_count", "must be >= 1"),
    rejected("analysis.landmark.min_count", Replace("min_count = 6", "min_count = 5.5"), "analysis.a_landmark.min_count",
             "expected an integer"),
    changes("analysis.landmark.landmark_days", Replace("landmark_days = 105", "landmark_days = 63"),
            "results:analyses[id=a_landmark].result.results[0].at_risk_at_landmark"),
    rejected("analysis.landmark.landmark_days", Replace("landmark_days = 105", "landmark_days = -7"),
             "analysis.a_landmark.landmark_days", "must be >= 0"),

    changes("analysis.cuminc.endpoint", [EFS, Replace('endpoint = "PFS"', 'endpoint = "EFS"', within='kind = "cuminc"')],
            CUMINC + ".causes"),
    rejected("analysis.cuminc.endpoint", Replace('endpoint = "PFS"', 'endpoint = "OS"', within='kind = "cuminc"'),
             "analysis.a_cuminc.event", "not an event of endpoint OS", line=('event = "progression"', 1, 0)),
    rejected("analysis.cuminc.endpoint", Replace('endpoint = "PFS"', 'endpoint = "TTP"', within='kind = "cuminc"'),
             "analysis.a_cuminc.endpoint", "unknown endpoint"),
    rejected("analysis.cuminc.endpoint", [Replace('endpoint = "PFS"', 'endpoint = "OS"', within='kind = "cuminc"'),
                                          Replace('event = "progression"', 'event = "death"')],
             "analysis.a_cuminc.event", "endpoint OS has one event: nothing competes with it", tag="one event"),
    changes("analysis.cuminc.event", Replace('event = "progression"', 'event = "death"'),
            [CUMINC + ".event", CUMINC + ".curves[0].causes[0].events"]),
    rejected("analysis.cuminc.event", Replace('event = "progression"', 'event = "relapse"'),
             "analysis.a_cuminc.event", "not an event of endpoint PFS (its events: progression, death) (relapse)"),
    rejected("analysis.cuminc.event", Replace('event = "progression"\n', ""), "analysis.a_cuminc.event",
             "required key missing", line=('id = "a_cuminc"', 1, -1), tag="missing"),
    changes("analysis.cuminc.competing",
            [EFS, Replace('endpoint = "PFS"', 'endpoint = "EFS"', within='kind = "cuminc"'),
             analysis("cuminc", 'competing = ["death", "next_line"]')],
            [CUMINC + ".competing", CUMINC + ".curves[0].causes[1].events"],
            control=[EFS, Replace('endpoint = "PFS"', 'endpoint = "EFS"', within='kind = "cuminc"')]),
    rejected("analysis.cuminc.competing", analysis("cuminc", 'competing = ["progression"]'), "analysis.a_cuminc.competing",
             "the event of interest cannot compete with itself (progression)"),
    rejected("analysis.cuminc.competing", analysis("cuminc", 'competing = ["relapse"]'), "analysis.a_cuminc.competing",
             "not an event of endpoint PFS", tag="unknown"),
    rejected("analysis.cuminc.competing",
             [EFS, Replace('endpoint = "PFS"', 'endpoint = "EFS"', within='kind = "cuminc"'), analysis("cuminc", 'competing = ["death"]')],
             "analysis.a_cuminc.competing", "every event of endpoint EFS must be the event or a competing one; this one is neither (next_line)",
             tag="neither"),
    rejected("analysis.cuminc.competing", analysis("cuminc", "competing = []"), "analysis.a_cuminc.competing", "must not be empty",
             tag="empty"),
    changes("analysis.cuminc.by", analysis("cuminc", 'by = "VISCERAL"'), [CUMINC + ".gray_test", CUMINC + ".curves[1].n"]),
    rejected("analysis.cuminc.by", analysis("cuminc", 'by = "AGE"'), "analysis.a_cuminc.by", "a numeric variable cannot define groups"),
    changes("analysis.cuminc.strata", [analysis("cuminc", 'by = "VISCERAL"'), analysis("cuminc", 'strata = "AGEGR"')],
            CUMINC + ".gray_test[0].chisq", control=analysis("cuminc", 'by = "VISCERAL"')),
    rejected("analysis.cuminc.strata", analysis("cuminc", 'strata = "CYCLES"'), "analysis.a_cuminc.strata",
             "a numeric variable cannot define groups"),
    changes("analysis.cuminc.times", analysis("cuminc", "times = [6, 12]"), CUMINC + ".curves[0].causes[0].at_times[1].incidence"),
    rejected("analysis.cuminc.times", analysis("cuminc", "times = [12, 6]"), "analysis.a_cuminc.times", "must ascend strictly"),
    rejected("analysis.cuminc.times", analysis("cuminc", "times = [-1]"), "analysis.a_cuminc.times", "must be >= 0", tag="negative"),
    changes("analysis.cuminc.rho", [analysis("cuminc", 'by = "VISCERAL"'), analysis("cuminc", "rho = 1")],
            CUMINC + ".gray_test[0].chisq", control=analysis("cuminc", 'by = "VISCERAL"')),
    rejected("analysis.cuminc.rho", analysis("cuminc", "rho = -0.5"), "analysis.a_cuminc.rho", "must be >= 0"),
    changes("analysis.cuminc.covariates", analysis("cuminc", 'covariates = ["AGE", "VISCERAL"]'),
            [CUMINC + ".fine_gray.coefficients[0].coef", CUMINC + ".fine_gray.coefficients[1].p"]),
    rejected("analysis.cuminc.covariates", analysis("cuminc", 'covariates = ["AGE", "WEIGHT"]'), "analysis.a_cuminc.covariates",
             "unknown variable"),
    rejected("analysis.cuminc.covariates", analysis("cuminc", 'covariates = ["TRTSDT"]'), "analysis.a_cuminc.covariates",
             "a date cannot be a covariate", tag="date"),
    # figure: every option changes the figure (SVG) of its analysis, or is rejected
    changes("analysis.km.figure", Replace('[[analysis]]\nid = "a_logrank"', '[analysis.figure]\ntime_step = 6\n\n[[analysis]]\nid = "a_logrank"'),
            KM_SVG),
    rejected("analysis.km.figure", analysis("km", "figure = 3"), "analysis.a_km.figure", "expected a table"),
    changes("analysis.cox.figure", analysis("cox", 'figure = { x_label = "Hazard ratio of death" }'), COX_SVG),
    changes("analysis.response.figure", analysis("response", 'figure = { y_label = "Share of patients (%)" }'), RESPONSE_SVG),
    changes("analysis.cuminc.figure", analysis("cuminc", "figure = { time_step = 3 }"), CUMINC_SVG),
    changes("figure.time_max", analysis("km", "figure = { time_max = 24 }"), KM_SVG),
    rejected("figure.time_max", analysis("km", "figure = { time_max = 0 }"), "analysis.a_km.figure.time_max", "must be > 0"),
    changes("figure.time_step", analysis("km", "figure = { time_step = 3 }"), KM_SVG),
    rejected("figure.time_step", analysis("km", "figure = { time_max = 100, time_step = 0.5 }"), "analysis.a_km.figure.time_step",
             "more than 100 breaks up to time_max"),
    changes("figure.x_label", analysis("km", 'figure = { x_label = "Months from first-line start" }'), KM_SVG),
    rejected("figure.x_label", analysis("response", 'figure = { x_label = "Groups" }'), "analysis.a_response.figure.x_label",
             "unknown figure option for kind response"),
    changes("figure.y_label", analysis("km", 'figure = { y_label = "Proportion alive" }'), KM_SVG),
    rejected("figure.y_label", analysis("km", 'figure = { y_label = "" }'), "analysis.a_km.figure.y_label", "must not be empty"),
    changes("figure.legend_title", analysis("km", 'figure = { legend_title = "Cohort" }'), KM_SVG),
    rejected("figure.legend_title", analysis("km", "figure = { legend_title = 1 }"), "analysis.a_km.figure.legend_title",
             "expected a string"),
    changes("figure.legend_labels", [KM_BY, analysis("km", 'figure = { legend_labels = ["Non-visceral", "Visceral"] }')], KM_SVG,
            control=KM_BY),
    rejected("figure.legend_labels", analysis("km", "figure = { legend_labels = [] }"), "analysis.a_km.figure.legend_labels",
             "must not be empty"),
    changes("figure.colours", analysis("km", 'figure = { colours = ["#CC0000"] }'), KM_SVG),
    changes("figure.colours", analysis("response", 'figure = { colours = ["#000", "#555", "#999", "#ccc", "#eee"] }'), RESPONSE_SVG),
    rejected("figure.colours", analysis("km", 'figure = { colours = ["#CC0000", "crimson"] }'), "analysis.a_km.figure.colours",
             "not a colour"),
    changes("figure.censor_marks", analysis("km", "figure = { censor_marks = false }"), KM_SVG),
    rejected("figure.censor_marks", analysis("km", 'figure = { censor_marks = "no" }'), "analysis.a_km.figure.censor_marks",
             "expected true or false"),
    changes("figure.confidence_band", analysis("km", "figure = { confidence_band = false }"), KM_SVG),
    changes("figure.risk_table", analysis("km", "figure = { risk_table = false }"), KM_SVG),
    changes("figure.risk_table_rows", analysis("km", 'figure = { risk_table_rows = ["at_risk", "events"] }'), KM_SVG),
    rejected("figure.risk_table_rows", analysis("km", 'figure = { risk_table_rows = ["deaths"] }'),
             "analysis.a_km.figure.risk_table_rows", "unknown or repeated row"),
    rejected("figure.risk_table_rows", [Replace("small_cell = 0", "small_cell = 10"),
                                        analysis("km", 'figure = { risk_table_rows = ["at_risk", "censored"] }')],
             "analysis.a_km.figure.risk_table_rows", "with small-cell suppression (study.small_cell) the risk table shows numbers at risk only"),
    changes("figure.p_value", [KM_BY, analysis("km", "figure = { p_value = false }")], KM_SVG, control=KM_BY),
    changes("figure.p_value", analysis("cox", "figure = { p_value = false }"), COX_SVG),
    rejected("figure.p_value", analysis("km", "figure = { p_value = true }"), "analysis.a_km.figure.p_value", "needs `by`"),
    changes("figure.hazard_ratio", [KM_BY, analysis("km", "figure = { hazard_ratio = true }")],
            [KM_SVG, "results:analyses[id=a_km].result.hazard_ratio.coefficients[0].exp_coef"], control=KM_BY),
    rejected("figure.hazard_ratio", analysis("cox", "figure = { hazard_ratio = true }"), "analysis.a_cox.figure.hazard_ratio",
             "unknown figure option for kind cox"),
    changes("analysis.where", analysis("cuminc", 'where = "AGE < 60"'), CUMINC + ".curves[0].n"),
    rejected("analysis.published", analysis("cuminc", "published = { p = 0.5 }"), "analysis.a_cuminc.published",
             "the kind cuminc takes no published values"),
    changes("analysis.kind.cuminc", Append('[[analysis]]\nid = "extra"\nkind = "cuminc"\nendpoint = "PFS"\nevent = "death"\nby = "AGEGR"'),
            "results:analyses[id=extra].result.gray_test[0].p"),

    # --- published values: each is compared with ours; unknown ones are rejected
    published_case("attrition", "n", "{ n = 200 }"),
    rejected("published.attrition.n", analysis("attrition", "published = { n = -1 }"), "analysis.a_attrition.published.n",
             "a count must be >= 0"),
    rejected("published.attrition.n", analysis("attrition", "published = { N = 200 }"), "analysis.a_attrition.published.N",
             "unknown key"),
    published_case("table1", "n", "{ AGE = { n = 220 } }"),
    published_case("table1", "n", '{ MENO = { n = 200, pre = 100 } }', control=analysis("table1", "published = { MENO = { pre = 100 } }")),
    published_case("table1", "median", "{ AGE = { median = 60 } }"),
    published_case("table1", "min", "{ AGE = { min = 26 } }"),
    published_case("table1", "max", "{ AGE = { max = 78 } }"),
    published_case("table1", "mean", "{ AGE = { mean = 57.5 } }"),
    published_case("table1", "sd", "{ AGE = { sd = 10.5 } }"),
    published_case("table1", "q1", "{ AGE = { q1 = 50 } }"),
    published_case("table1", "q3", "{ AGE = { q3 = 65 } }"),
    published_case("table1", "<level>", "{ MENO = { post = 107 } }"),
    warns("published.table1.<level>", analysis("table1", "published = { MENO = { peri = 3 } }"), "analysis.a_table1.published.MENO.peri",
          "no level of this name in the results", line=('id = "a_table1"', 1, -1)),
    warns("published.table1.<level>", analysis("table1", "published = { AGE = { old = 3 } }"), "analysis.a_table1.published.AGE.old",
          "the variable is numeric", line=('id = "a_table1"', 1, -1)),
    rejected("published.table1.<level>", analysis("table1", "published = { MENO = { post = -5 } }"),
             "analysis.a_table1.published.MENO.post", "a count must be >= 0"),
    rejected("published.table1.median", analysis("table1", "published = { AGE = { median = 60, mode = 58 } }"),
             "analysis.a_table1.published.AGE.mode", "unknown key among summary statistics"),
    rejected("published.table1", analysis("table1", "published = { ECOG = { median = 1 } }"), "analysis.a_table1.published.ECOG",
             "not one of `variables`"),
    published_case("followup", "median", "{ median = 28.7 }"),
    published_case("followup", "min", "{ min = 0.7 }"),
    published_case("followup", "max", "{ max = 143.5 }"),
    rejected("published.followup", analysis("followup", "published = { mean = 30 }"), "analysis.a_followup.published.mean", "unknown key"),
    published_case("km", "median", "{ median = 58.3 }"),
    published_case("km", "lower", "{ lower = 36.6 }"),
    published_case("km", "upper", "{ upper = 80.0 }"),
    changes("published.km.<group>", [analysis("km", 'by = "VISCERAL"'), analysis("km", "published = { Y = { median = 40 } }")],
            "results:analyses[id=a_km].comparison", control=analysis("km", 'by = "VISCERAL"')),
    warns("published.km.<group>", [analysis("km", 'by = "VISCERAL"'), analysis("km", "published = { Z = { median = 40 } }")],
          "analysis.a_km.published.Z", "no group of this name in the results (groups: N, Y)", line=('id = "a_km"', 1, -1)),
    rejected("published.km", analysis("km", "published = { median = 58.3, hr = 0.7 }"), "analysis.a_km.published.hr", "unknown key"),
    rejected("published.km.<group>", [analysis("km", 'by = "VISCERAL"'), analysis("km", "published = { Y = 40 }")],
             "analysis.a_km.published.Y", "expected a table"),
    published_case("logrank", "p", "{ VISCERAL = { p = 0.04 } }"),
    published_case("logrank", "p", '{ VISCERAL = { p = "<0.001" } }', control=analysis("logrank", "published = { VISCERAL = { p = 0.04 } }")),
    rejected("published.logrank.p", analysis("logrank", "published = { VISCERAL = { p = 1.5 } }"),
             "analysis.a_logrank.published.VISCERAL.p", "a p-value must lie in [0, 1]"),
    rejected("published.logrank.p", analysis("logrank", "published = { VISCERAL = { chisq = 3.1 } }"),
             "analysis.a_logrank.published.VISCERAL.chisq", "unknown key"),
    rejected("published.logrank.p", analysis("logrank", "published = { AGEGR = { p = 0.5 } }"),
             "analysis.a_logrank.published.AGEGR", "not one of `by`"),
    published_case("response", "n", "{ n = 220 }"),
    published_case("response", "CR", "{ CR = 39 }"),
    published_case("response", "PR", "{ PR = 152 }"),
    published_case("response", "SD", "{ SD = 25 }"),
    published_case("response", "PD", "{ PD = 4 }"),
    published_case("response", "ORR", "{ ORR = 191 }"),
    rejected("published.response", analysis("response", "published = { NE = 4 }"), "analysis.a_response.published.NE", "unknown key"),
    published_case("adverse_events", "any", "{ nausea = { any = 171 } }"),
    published_case("adverse_events", "1-2", '{ nausea = { "1-2" = 126 } }'),
    published_case("adverse_events", "3", '{ nausea = { "3" = 40 } }'),
    published_case("adverse_events", "4", '{ nausea = { "4" = 5 } }'),
    published_case("adverse_events", "3-4", '{ nausea = { "3-4" = 45 } }'),
    published_case("adverse_events", "5", '{ nausea = { "5" = 0 } }'),
    published_case("adverse_events", ">=3", '{ nausea = { ">=3" = 45 } }'),
    rejected("published.adverse_events", analysis("adverse_events", 'published = { nausea = { "2-3" = 45 } }'),
             'analysis.a_adverse_events.published.nausea.2-3', "unknown key"),
    rejected("published.adverse_events", analysis("adverse_events", "published = { vomiting = { any = 100 } }"),
             "analysis.a_adverse_events.published.vomiting", "not one of `terms`"),
    published_case("association", "p", '{ "nausea:3" = { p = 0.3 } }'),
    rejected("published.association.p", analysis("association", 'published = { "nausea:3" = { q = 0.3 } }'),
             "analysis.a_association.published.nausea:3.q", "unknown key"),
    rejected("published.association", analysis("association", 'published = { "nausea:1" = { p = 0.3 } }'),
             "analysis.a_association.published.nausea:1", "not one of `outcomes`"),
    rejected("published.association.p", analysis("association", 'published = { "nausea:3" = { p = "0.3" } }'),
             "analysis.a_association.published.nausea:3.p", "expected a p-value"),
    changes("analysis.target_trial.endpoint", Append(target_trial(endpoint='"PFS"')), TTE + ".arms",
            control=Append(target_trial())),
    rejected("analysis.target_trial.endpoint", Append(target_trial(endpoint='"TTP"')), "analysis.tte.endpoint", "unknown endpoint", line='endpoint = "TTP"'),
    changes("analysis.target_trial.drugs", Append(target_trial(drugs='["docetaxel"]')), TTE + ".arms", control=Append(target_trial())),
    rejected("analysis.target_trial.drugs", Append(target_trial(drugs=None)), "analysis.tte.drugs", "required key missing"),
    changes("analysis.target_trial.min_count", Append(target_trial(min_count="3")), TTE + ".arms", control=Append(target_trial())),
    rejected("analysis.target_trial.min_count", Append(target_trial(min_count="0")), "analysis.tte.min_count", "must be >= 1", line="min_count = 0"),
    changes("analysis.target_trial.grace_days", Append(target_trial(grace_days="105")), TTE + ".arms", control=Append(target_trial())),
    rejected("analysis.target_trial.grace_days", Append(target_trial(grace_days="0")), "analysis.tte.grace_days", "must be > 0", line="grace_days = 0"),
    changes("analysis.target_trial.interval_days", Append(target_trial(interval_days="14")), TTE + ".censoring_model",
            control=Append(target_trial())),
    rejected("analysis.target_trial.interval_days", Append(target_trial(interval_days="0")), "analysis.tte.interval_days", "must be > 0", line="interval_days = 0"),
    changes("analysis.target_trial.covariates", Append(target_trial(covariates='["AGE"]')), TTE + ".censoring_model",
            control=Append(target_trial())),
    rejected("analysis.target_trial.covariates", Append(target_trial(covariates='["NOSUCH"]')), "analysis.tte.covariates", "unknown variable", line='covariates = ["NOSUCH"]'),
    changes("analysis.target_trial.truncate", Append(target_trial(truncate="0.9")), TTE + ".weighting", control=Append(target_trial())),
    rejected("analysis.target_trial.truncate", Append(target_trial(truncate="1.5")), "analysis.tte.truncate", "must be > 0 and < 1", line="truncate = 1.5"),
    changes("analysis.target_trial.stabilize", Append(target_trial(stabilize="true")), TTE + ".arms", control=Append(target_trial())),
    rejected("analysis.target_trial.stabilize", Append(target_trial(stabilize='"yes"')), "analysis.tte.stabilize", "expected true or false", line='stabilize = "yes"'),
    changes("analysis.target_trial.times", Append(target_trial(times="[12]")), TTE + ".differences", control=Append(target_trial())),
    rejected("analysis.target_trial.times", Append(target_trial(times="[12, 6]")), "analysis.tte.times", "must ascend strictly", line="times = [12, 6]"),
    changes("analysis.target_trial.rmst_tau", Append(target_trial(rmst_tau="24")), TTE + ".differences", control=Append(target_trial())),
    changes("analysis.target_trial.bootstrap", Append(target_trial(bootstrap="20")), TTE + ".bootstrap", control=Append(target_trial())),
    rejected("analysis.target_trial.bootstrap", Append(target_trial(bootstrap="-1")), "analysis.tte.bootstrap", "must be >= 0",
             line="bootstrap = -1"),
    changes("analysis.target_trial.seed", Append(target_trial(bootstrap="20", seed="5")), TTE + ".bootstrap",
            control=Append(target_trial(bootstrap="20"))),
    rejected("analysis.target_trial.seed", Append(target_trial(seed="-3")), "analysis.tte.seed", "must be >= 0", line="seed = -3"),
    rejected("analysis.target_trial.rmst_tau", Append(target_trial(rmst_tau="-1")), "analysis.tte.rmst_tau", "must be > 0", line="rmst_tau = -1"),
]

# Cases, by name (<key>.<n> or <key>[<tag>]), that show a documented key or value rwe
# accepts and then ignores (a bug of rwe), with what was tried: they are expected to fail
# until rwe honours or rejects it; take a case off when it holds.
KNOWN_IGNORED = {
}


# ---------------------------------------------------------------------------------------
# The registry, the runs and the probes
# ---------------------------------------------------------------------------------------


def day(text):
    return datetime.date.fromisoformat(text)


def add_to_registry(registry):
    """biomarkers.csv: Ki-67 by IHC at diagnosis and by a digital method five days before
    the index date (of each patient's first palliative THP); observations.csv: ECOG 10 and
    45 days before the index date (the first missing for every fourth patient) and weight
    two days before; tumors.csv: the columns primary_site and histology. Deterministic."""
    read = lambda name: list(csv.DictReader(open(os.path.join(registry, name), newline="")))
    rows = read("tumors.csv")
    with open(os.path.join(registry, "tumors.csv"), "w", newline="") as out:
        writer = csv.DictWriter(out, list(rows[0]) + ["primary_site", "histology"], lineterminator="\n")
        writer.writeheader()
        for n, row in enumerate(rows):
            writer.writerow(dict(row, primary_site="breast", histology=("ductal", "lobular", "mixed")[n % 3]))
    tumors = {row["patient_id"]: row for row in read("tumors.csv")}
    index = {}
    for regimen in read("regimens.csv"):
        if regimen["setting"] == "palliative" and regimen["regimen"] == "THP":
            start = day(regimen["start_date"])
            index[regimen["patient_id"]] = min(start, index.get(regimen["patient_id"], start))
    biomarkers, observations = [], []
    for n, patient in enumerate(sorted(index)):
        tumor = tumors[patient]
        diagnosis, first = day(tumor["diagnosis_date"]), index[patient]
        ki67 = 5 + (n * 7) % 50
        later = ki67 + 3 + n % 5
        biomarkers.append([patient, tumor["tumor_id"], "ki67", "ihc", "high" if ki67 >= 20 else "low", ki67, "percent", diagnosis])
        biomarkers.append([patient, tumor["tumor_id"], "ki67", "digital", "high" if later >= 20 else "low", later, "percent",
                           max(diagnosis, first - datetime.timedelta(days=5))])
        if n % 4:
            observations.append([patient, "ecog", first - datetime.timedelta(days=10), n % 3, f"ps{n % 3}", ""])
        observations.append([patient, "ecog", first - datetime.timedelta(days=45), (n + 1) % 3, f"ps{(n + 1) % 3}", ""])
        observations.append([patient, "weight", first - datetime.timedelta(days=2), 50 + n % 30, "", "kg"])
    for name, header, rows in (("biomarkers.csv", "patient_id,tumor_id,marker,method,result,value,unit,test_date", biomarkers),
                               ("observations.csv", "patient_id,name,observation_date,value,result,unit", observations)):
        with open(os.path.join(registry, name), "w", newline="") as out:
            out.write(header + "\n")
            csv.writer(out, lineterminator="\n").writerows(rows)


def run(command, **kwargs):
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


class Output:
    """The files one `rwe run` wrote."""

    def __init__(self, directory):
        self.dir = directory
        self._json = None

    def path(self, name):
        return os.path.join(self.dir, name)

    def text(self, name):
        path = self.path(name)
        if not os.path.exists(path):
            return None
        content = open(path, encoding="utf-8").read()
        if name == "results.json":  # the protocol's own text holds every edit: not an effect
            results = json.loads(content)
            results["protocol"].pop("text", None)
            content = json.dumps(results, sort_keys=True)
        return content

    def results(self):
        if self._json is None:
            self._json = json.load(open(self.path("results.json"), encoding="utf-8"))
        return self._json

    def table(self, name):
        path = self.path(name)
        if not os.path.exists(path):
            return None
        return list(csv.DictReader(open(path, newline="", encoding="utf-8")))

    def files(self):
        out = []
        for root, _, names in os.walk(self.dir):
            out += [os.path.relpath(os.path.join(root, n), self.dir) for n in names]
        return sorted(out)


def json_path(document, path):
    """`analyses[id=a_km].result.strata[0].median`: None when any step is missing."""
    value = document
    for step in path.split("."):
        match = re.fullmatch(r"([^\[\]]*)((?:\[[^\]]*\])*)", step)
        name, selectors = match.group(1), re.findall(r"\[([^\]]*)\]", match.group(2))
        if name:
            if not isinstance(value, dict) or name not in value:
                return None
            value = value[name]
        for selector in selectors:
            if not isinstance(value, list):
                return None
            if "=" in selector:
                field, wanted = selector.split("=", 1)
                found = [item for item in value if isinstance(item, dict) and str(item.get(field)) == wanted]
                if not found:
                    return None
                value = found[0]
            else:
                k = int(selector)
                if k >= len(value):
                    return None
                value = value[k]
    return value


def probe(output, spec):
    """The value a probe names in one run's output:
         results:<path>          a value of results.json
         adsl:<COLUMN>           a column of adsl.csv (None: no such column)
         adtte:<PARAMCD>:<COL>   a column of adtte.csv, rows of one parameter
         adrs:<COLUMN>           a column of adrs.csv (adae:<COLUMN>: of adae.csv)
         file:<name>             the text of an output file (e.g. a table of the report)
         files                   the names of the output files"""
    kind, _, rest = spec.partition(":")
    if kind == "results":
        return json_path(output.results(), rest)
    if kind in ("adsl", "adrs", "adae"):
        rows = output.table(f"{kind}.csv")
        if rows is None or (rows and rest not in rows[0]):
            return None
        return [row[rest] for row in rows]
    if kind == "adtte":
        paramcd, column = rest.split(":")
        return [row[column] for row in output.table("adtte.csv") or [] if row["PARAMCD"] == paramcd] or None
    if kind == "file":
        return output.text(rest)
    if kind == "files":
        return output.files()
    raise ValueError(f"unknown probe {spec}")


def informative(value):
    """A value, not only missing ones."""
    if value is None:
        return False
    if isinstance(value, list):
        return any(informative(v) and v != "" for v in value)
    if isinstance(value, dict):
        return any(informative(v) for v in value.values())
    return True


def short(value, limit=160):
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else value
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


class Runner:
    def __init__(self, rwe, work, db, base_text):
        self.rwe, self.work, self.db, self.base_text = rwe, work, db, base_text

    def run_protocol(self, name, text, derive="rwe"):
        directory = os.path.join(self.work, "runs", name)
        os.makedirs(directory, exist_ok=True)
        protocol = os.path.join(directory, "protocol.toml")
        with open(protocol, "w", encoding="utf-8") as out:
            out.write(text)
        out = "out" if derive == "rwe" else f"out-{derive}"
        result = run([self.rwe, "run", protocol, "--db", self.db, "--out", os.path.join(directory, out), "--derive", derive])
        return protocol, result, Output(os.path.join(directory, out))


DATASETS = ("adsl:", "adtte:", "adrs:", "adae:")


def datasets_only(case):
    """A case that probes only the analysis datasets: it and its control run without the
    [[analysis]] tables (they do not change the datasets; the report they need costs most
    of a run)."""
    probes = case.probe if isinstance(case.probe, list) else [case.probe]
    return case.expect == "changes" and all(p.startswith(DATASETS) for p in probes)


def without_analyses(text):
    out, skipping = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("["):
            skipping = line.startswith(("[[analysis]]", "[analysis."))
        if not skipping:
            out.append(line)
    return "".join(out)


def case_text(base_text, case):
    """The protocol of a case, and the line of its last edit."""
    text, line = apply_edits(base_text, case.edits)
    return (without_analyses(text), line) if datasets_only(case) else (text, line)


def control_text(base_text, case):
    text = apply_edits(base_text, case.control)[0] if case.control else base_text
    return without_analyses(text) if datasets_only(case) else text


def check_case(runner, case, control_output):
    """(passed, message)."""
    try:
        text, line = case_text(runner.base_text, case)
    except ValueError as error:
        return False, f"the edit does not apply: {error}"
    protocol, result, output = runner.run_protocol(case.name, text)
    if case.expect in ("rejected", "warns"):
        key, problem = case.error
        if case.line is not None:
            wanted, nth, offset = case.line if isinstance(case.line, tuple) else (case.line, 1, 0)
            matches = [i + 1 for i, l in enumerate(text.splitlines()) if wanted in l]
            if len(matches) < nth:
                return False, f"line text {wanted!r} found {len(matches)} times in the edited protocol"
            line = matches[nth - 1] + offset
        expected = f"{protocol}:{line}: {key}: {problem}"
        if case.expect == "warns":
            if result.returncode != 0 or expected not in result.stderr:
                return False, f"expected exit 0 and `{expected}`; got exit {result.returncode}: {result.stderr.strip()[-400:]}"
            listed = [w for w in output.results().get("warnings", []) if w.startswith(expected)]
            if not listed:
                return False, f"`{expected}` is not among the warnings of results.json"
            return True, listed[0]
        if result.returncode == 1 and expected in result.stderr:
            return True, result.stderr.strip().splitlines()[-1]
        return False, f"expected exit 1 and `{expected}`; got exit {result.returncode}: {result.stderr.strip()[-400:]}"
    if result.returncode != 0:
        return False, f"the run failed (exit {result.returncode}): {result.stderr.strip()[-400:]}"
    if control_output is None:
        return False, "the control run failed"
    if case.expect == "shows":
        file, wanted = case.probe
        ours, theirs = output.text(file), control_output.text(file)
        if ours is None or wanted not in ours:
            return False, f"{wanted!r} not in {file}"
        if theirs is not None and wanted in theirs:
            return False, f"{wanted!r} is in {file} of the control run already"
        return True, f"{wanted!r} in {file}"
    messages = []
    for spec in case.probe if isinstance(case.probe, list) else [case.probe]:
        before, after = probe(control_output, spec), probe(output, spec)
        if not informative(after):
            return False, f"{spec}: no value ({short(after)})"
        if before == after:
            return False, f"{spec}: unchanged ({short(after)})"
        messages.append(f"{spec}: {short(before, 60)} -> {short(after, 60)}")
    if datasets_only(case):
        _, store_result, store_output = runner.run_protocol(case.name, text, derive="store")
        if store_result.returncode != 0:
            return False, f"--derive store failed (exit {store_result.returncode}): {store_result.stderr.strip()[-400:]}"
        for file in ("adsl.csv", "adtte.csv", "adrs.csv", "adae.csv"):
            if output.text(file) != store_output.text(file):
                return False, f"{file} derived by the store differs from rwe's"
        shutil.rmtree(store_output.dir, ignore_errors=True)
        messages.append("the same datasets with --derive store")
    return True, "\n      ".join(messages)


def check_and_clean(runner, case, control_output):
    """check_case(), keeping the output of a case that fails only (a run writes ~1 MB)."""
    passed, message = check_case(runner, case, control_output)
    if passed:
        shutil.rmtree(os.path.join(runner.work, "runs", case.name, "out"), ignore_errors=True)
    return passed, message


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: protocol_keys.py RWE SOURCE_DIR WORK_DIR")
    rwe, source, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
    started = time.time()
    failures = []

    # 1. The documented keys, and a case for each.
    documented, closed = documented_keys(open(os.path.join(source, "docs", "protocols.md"), encoding="utf-8").read())
    print(f"docs/protocols.md documents {len(documented)} protocol keys:")
    for key, line in documented.items():
        print(f"  protocols.md:{line}: {key}")
    covered = {case.key for case in CASES}
    for key in documented:
        if key not in covered:
            failures.append(f"documented key without a case: {key} (docs/protocols.md:{documented[key]})")
    print(f"of which these take a closed set of values (each needs a rejected case): {', '.join(sorted(closed))}")
    for key in sorted(closed):
        if not any(case.expect == "rejected" and (case.key == key or case.key.startswith(key + ".")) for case in CASES):
            failures.append(f"a key with a closed set of values has no rejected case: {key}")
    for key in sorted(covered - set(documented)):
        # A case may also name a table (e.g. `variables`) to check its unknown keys.
        if not any(k.startswith(key + ".") for k in documented):
            failures.append(f"a case names a key docs/protocols.md does not document: {key}")
    counts = {}
    for case in CASES:
        counts[case.key] = counts.get(case.key, 0) + 1
        case.name = f"{case.key}[{case.tag}]" if case.tag else f"{case.key}.{counts[case.key]}"
        case.name = case.name.replace("<", "").replace(">", "").replace("=", "ge")
    names = [case.name for case in CASES]
    for name in sorted({n for n in names if names.count(n) > 1}):
        failures.append(f"two cases are named {name}: give them different tags")
    for name in sorted(set(KNOWN_IGNORED) - set(names)):
        failures.append(f"KNOWN_IGNORED names no case: {name}")
    if failures:
        print("\n".join(failures))
        sys.exit(1)

    # 2. The registry and the base run.
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    registry, db = os.path.join(work, "registry"), os.path.join(work, "registry.sqlite")
    for command in ([rwe, "synth", "--profile", "thp-her2-mbc", "--patients", "228", "--seed", "20221001", "--out", registry],
                    None, [rwe, "import", registry, "--db", db]):
        if command is None:
            add_to_registry(registry)
            continue
        result = run(command)
        if result.returncode != 0:
            sys.exit(f"{' '.join(command)} failed: {result.stderr}")
    base_text = open(os.path.join(source, "tests", "data", "study", "keys", "base.toml"), encoding="utf-8").read()
    runner = Runner(rwe, work, db, base_text)
    _, result, base_output = runner.run_protocol("base", base_text)
    if result.returncode != 0:
        sys.exit(f"the base protocol fails: {result.stderr}")
    base_kinds = {a["kind"] for a in base_output.results()["analyses"]}
    for key in documented:
        if key.startswith("analysis.kind.") and key.split(".")[2] not in base_kinds:
            failures.append(f"the base protocol has no analysis of kind {key.split('.')[2]}")

    # 3. The control runs (base + control edits), then every case, two at a time.
    controls = {base_text: base_output}
    for case in CASES:
        if case.expect != "rejected":
            try:
                controls.setdefault(control_text(base_text, case), None)
            except ValueError as error:
                failures.append(f"{case.name}: the control edit does not apply: {error}")
    pending = [text for text, output in controls.items() if output is None]

    def run_control(k, text):
        _, result, output = runner.run_protocol(f"control.{k + 1}", text)
        if result.returncode != 0:
            print(f"control run {k + 1} failed: {result.stderr.strip()}")
        return output if result.returncode == 0 else None

    def control_of(case):
        try:
            return controls.get(control_text(base_text, case))
        except ValueError:
            return None

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for text, output in zip(pending, pool.map(run_control, range(len(pending)), pending)):
            controls[text] = output
        outcomes = list(pool.map(lambda case: check_and_clean(runner, case, control_of(case)), CASES))

    # 4. The verdicts.
    print(f"\n{len(CASES)} cases for the {len(documented)} documented keys (and the unknown keys of their tables):")
    unexpected, ignored, fixed = [], [], []
    for case, (passed, message) in zip(CASES, outcomes):
        known = case.name in KNOWN_IGNORED
        status = "ok" if passed else ("KNOWN IGNORED" if known else "FAIL")
        print(f"  [{status}] {case.name} {case.expect}: {case.describe()}\n      {message}")
        if not passed and known:
            ignored.append((case, message))
        elif not passed:
            unexpected.append((case, message))
        elif known:
            fixed.append(case)
    print("\nKNOWN_IGNORED: documented keys rwe accepts and ignores (bugs of rwe; these cases fail as expected):")
    for key, why in KNOWN_IGNORED.items():
        print(f"  {key}: {why}")
    if not KNOWN_IGNORED:
        print("  none")
    for case in fixed:
        failures.append(f"{case.name} holds now: take it off KNOWN_IGNORED")
    for case, message in unexpected:
        failures.append(f"{case.name} ({case.expect}): {message}")
    print(f"\n{len(CASES) - len(unexpected) - len(ignored)} of {len(CASES)} cases hold, "
          f"{len(ignored)} known ignored; {len(documented)} documented keys; {time.time() - started:.0f} s")
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
