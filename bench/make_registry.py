#!/usr/bin/env python3
"""Writes a valid registry folder (registry format v1) of N patients, for import benchmarks.

usage: bench/make_registry.py N OUT_DIR [--seed S]

Volumes per patient resemble a metastatic breast cancer chart review: one tumour, one to
three metastatic sites, an optional (neo)adjuvant regimen, one to three palliative lines
given every 21 days with two or three drugs each, tumour assessments every nine weeks,
a few adverse events. Every consistency rule of the format holds, so `rwe validate`
reports no error. Independent of `rwe synth`, so the importer can be measured on data
that its authors did not write.
"""
import argparse
import datetime as dt
import os
import random

EPOCH = dt.date(1970, 1, 1)


def iso(day):
    return (EPOCH + dt.timedelta(days=day)).isoformat()


def day_of(y, m, d):
    return (dt.date(y, m, d) - EPOCH).days


LINES = [("thp", ["docetaxel", "trastuzumab", "pertuzumab"]),
         ("t-dm1", ["trastuzumab_emtansine"]),
         ("xl", ["capecitabine", "lapatinib"])]
DOSES = {"docetaxel": ("75", "mg/m2"), "trastuzumab": ("6", "mg/kg"), "pertuzumab": ("420", "mg"),
         "trastuzumab_emtansine": ("3.6", "mg/kg"), "capecitabine": ("1000", "mg/m2"),
         "lapatinib": ("1250", "mg"), "doxorubicin": ("60", "mg/m2"), "cyclophosphamide": ("600", "mg/m2")}
SITES = ["lung", "liver", "pleura", "bone", "brain", "distant_lymph_node", "skin_soft_tissue"]
TERMS = ["neutrophil count decreased", "febrile neutropenia", "diarrhea", "nausea", "mucositis oral",
         "peripheral sensory neuropathy"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("patients", type=int)
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    names = ["patients", "tumors", "metastases", "regimens", "administrations", "assessments", "adverse_events"]
    files = {name: open(os.path.join(args.out, name + ".csv"), "w", newline="") for name in names}
    files["patients"].write("patient_id,birth_date,sex,menopausal_status,death_date,last_contact_date\n")
    files["tumors"].write("tumor_id,patient_id,diagnosis_date,stage_at_diagnosis,er,pr,her2_ihc,her2_ish_ratio,"
                          "surgery_date,metastasis_date\n")
    files["metastases"].write("patient_id,site,detected_date\n")
    files["regimens"].write("regimen_id,patient_id,setting,line,regimen,start_date,end_date,end_reason,"
                            "clinical_trial,measurable_disease\n")
    files["administrations"].write("regimen_id,drug,admin_date,dose,unit\n")
    files["assessments"].write("patient_id,regimen_id,assessment_date,response,method\n")
    files["adverse_events"].write("patient_id,regimen_id,term,grade,onset_date,action\n")
    buffers = {name: [] for name in names}
    regimen_number = 0
    for number in range(1, args.patients + 1):
        pid = "P%07d" % number
        birth = day_of(1940, 1, 1) + rng.randrange(40 * 365)
        diagnosis = max(birth + 30 * 365, day_of(2005, 1, 1)) + rng.randrange(8 * 365)
        de_novo = rng.random() < 0.3
        metastasis = diagnosis + (rng.randrange(60) if de_novo else 365 + rng.randrange(6 * 365))
        surgery = "" if de_novo else iso(diagnosis + 20 + rng.randrange(40))
        ihc = rng.choice(["3+", "3+", "2+"])
        ish = "%.2f" % (2.1 + rng.random() * 4) if ihc == "2+" else ""
        buffers["tumors"].append("T%07d,%s,%s,%s,%s,%s,%s,%s,%s,%s\n" % (
            number, pid, iso(diagnosis), "iv" if de_novo else rng.choice(["i", "ii", "iii"]),
            rng.choice(["positive", "negative"]), rng.choice(["positive", "negative", "unknown"]), ihc, ish,
            surgery, iso(metastasis)))
        for site in rng.sample(SITES, 1 + rng.randrange(3)):
            buffers["metastases"].append("%s,%s,%s\n" % (pid, site, iso(metastasis + rng.randrange(20))))
        day = metastasis + 7 + rng.randrange(30)
        if not de_novo and rng.random() < 0.5:  # adjuvant AC before metastasis
            regimen_number += 1
            rid = "R%08d" % regimen_number
            start = diagnosis + 60 + rng.randrange(20)
            cycles = 4
            end = start + 21 * (cycles - 1)
            buffers["regimens"].append("%s,%s,adjuvant,,ac,%s,%s,completed,no,\n" % (rid, pid, iso(start), iso(end)))
            for cycle in range(cycles):
                for drug in ("doxorubicin", "cyclophosphamide"):
                    dose, unit = DOSES[drug]
                    buffers["administrations"].append("%s,%s,%s,%s,%s\n" % (rid, drug, iso(start + 21 * cycle), dose, unit))
        lines = 1 + rng.randrange(3)
        died = rng.random() < 0.6
        last_event = day
        for line in range(1, lines + 1):
            regimen_number += 1
            rid = "R%08d" % regimen_number
            code, drugs = LINES[line - 1]
            cycles = 4 + rng.randrange(24 if line == 1 else 10)
            start = day
            end = start + 21 * (cycles - 1)
            ongoing = line == lines and not died and rng.random() < 0.3
            reason = "ongoing" if ongoing else rng.choice(["progression", "progression", "toxicity", "completed"])
            buffers["regimens"].append("%s,%s,palliative,%d,%s,%s,%s,%s,no,yes\n" % (
                rid, pid, line, code, iso(start), "" if ongoing else iso(end), reason))
            for cycle in range(cycles):
                for k, drug in enumerate(drugs):
                    if drug == "docetaxel" and cycle >= 6:
                        continue
                    dose, unit = DOSES[drug]
                    if drug == "trastuzumab" and cycle == 0:
                        dose = "8"
                    buffers["administrations"].append("%s,%s,%s,%s,%s\n" % (rid, drug, iso(start + 21 * cycle), dose, unit))
            for visit in range(1, cycles // 3 + 1):
                response = "pd" if (visit == cycles // 3 and reason == "progression") else rng.choice(["pr", "sd", "cr"])
                buffers["assessments"].append("%s,%s,%s,%s,radiologic\n" % (pid, rid, iso(start + 63 * visit), response))
            for _ in range(rng.randrange(3)):
                buffers["adverse_events"].append("%s,%s,%s,%d,%s,none\n" % (
                    pid, rid, rng.choice(TERMS), 1 + rng.randrange(4), iso(start + rng.randrange(21 * (cycles - 1) + 1))))
            last_event = max(last_event, end, start + 63 * (cycles // 3))
            day = end + 14 + rng.randrange(30)
        last_contact = last_event + 1 + rng.randrange(200)
        buffers["patients"].append("%s,%s,f,%s,%s,%s\n" % (
            pid, iso(birth), rng.choice(["pre", "post", "unknown", ""]), iso(last_contact) if died else "",
            iso(last_contact)))
        if number % 5000 == 0:
            for name in names:
                files[name].write("".join(buffers[name]))
                buffers[name].clear()
    for name in names:
        files[name].write("".join(buffers[name]))
        files[name].close()


if __name__ == "__main__":
    main()
