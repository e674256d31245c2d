#!/usr/bin/env python3
"""Derives the reference study's figures from a synthetic registry folder, with the endpoint
definitions of registry-format.md, and prints them beside the published targets.

Used to tune the parameters of the thp-her2-mbc profile that have no closed form
(docs/synth.md, "Calibration"). Plain Python, no dependencies.
usage: bench/synth_targets.py REGISTRY_DIR
"""
import csv, sys, os, datetime
from collections import defaultdict

D = sys.argv[1]
def rows(name):
    with open(os.path.join(D, name), newline='') as f:
        yield from csv.DictReader(f)
def day(s):
    return datetime.date.fromisoformat(s).toordinal()
M = 30.4375

def km_median(times, events):
    data = sorted(zip(times, events), key=lambda x: (x[0], -x[1]))
    n = len(data); s = 1.0; i = 0
    while i < n:
        t = data[i][0]; d = 0; c = 0
        while i < n and data[i][0] == t:
            d += data[i][1]; c += 1 - data[i][1]; i += 1
        at_risk = n - (i - d - c)
        if d:
            s *= 1 - d / at_risk
            if s <= 0.5 + 1e-12:
                return t
    return float('nan')

pat = {r['patient_id']: r for r in rows('patients.csv')}
tum = {r['patient_id']: r for r in rows('tumors.csv')}
regs = defaultdict(list)
for r in rows('regimens.csv'):
    regs[r['patient_id']].append(r)
# cohort
cohort = {}
for pid, rs in regs.items():
    t = tum[pid]
    pos = t['her2_ihc'] == '3+' or (t['her2_ihc'] == '2+' and t['her2_ish_ratio'] and float(t['her2_ish_ratio']) > 2.0)
    l1 = [r for r in rs if r['setting'] == 'palliative' and r['line'] == '1']
    if not pos or not l1 or l1[0]['regimen'] != 'THP':
        continue
    if not ('2008-08-01' <= l1[0]['start_date'] <= '2020-10-31'):
        continue
    cohort[pid] = l1[0]
N = len(cohort)
print(f"patients {len(pat)}, cohort {N}")
thp_ids = {r['regimen_id']: pid for pid, r in cohort.items()}
reg_of = {}
for pid, rs in regs.items():
    for r in rs:
        reg_of[r['regimen_id']] = r
# docetaxel cycles
doc = defaultdict(int)
for r in rows('administrations.csv'):
    if r['drug'] == 'docetaxel' and r['regimen_id'] in thp_ids:
        doc[r['regimen_id']] += 1
# assessments
pd_dates = defaultdict(list); thp_resp = defaultdict(list)
for r in rows('assessments.csv'):
    pid = r['patient_id']
    if pid not in cohort: continue
    if r['response'] == 'PD': pd_dates[pid].append(day(r['assessment_date']))
    if r['regimen_id'] == cohort[pid]['regimen_id']:
        thp_resp[pid].append(r['response'])
sites = defaultdict(set)
for r in rows('metastases.csv'):
    pid = r['patient_id']
    if pid in cohort and day(r['detected_date']) <= day(cohort[pid]['start_date']) + 30:
        sites[pid].add(r['site'])
ae = defaultdict(dict)
for r in rows('adverse_events.csv'):
    if r['regimen_id'] in thp_ids:
        pid = r['patient_id']; g = int(r['grade'])
        ae[r['term']][pid] = max(g, ae[r['term']].get(pid, 0))

def pct(k, n=None):
    n = n or N
    return f"{k}/{n} = {100*k/n:.1f}%"

ages = []; bands = [0]*4; meno = defaultdict(int); hr = defaultdict(int); denovo = 0; prior = 0
os_t = []; os_e = []; pfs_t = []; pfs_e = []; fu = []
exp_os = ([], []); nexp_os = ([], []); few_os = ([], []); many_os = ([], [])
for pid, l1 in cohort.items():
    p = pat[pid]; t = tum[pid]
    idx = day(l1['start_date'])
    b = datetime.date.fromisoformat(p['birth_date']); i = datetime.date.fromisoformat(l1['start_date'])
    age = i.year - b.year - ((i.month, i.day) < (b.month, b.day))
    ages.append(age)
    bands[0 if age <= 40 else 1 if age <= 50 else 2 if age <= 60 else 3] += 1
    meno[p['menopausal_status']] += 1
    er, pr = t['er'], t['pr']
    hr['pos' if 'positive' in (er, pr) else 'unk' if 'unknown' in (er, pr) else 'neg'] += 1
    denovo += t['stage_at_diagnosis'] == 'IV'
    ex = False
    for r in regs[pid]:
        if r['setting'] in ('neoadjuvant', 'adjuvant') and r['regimen'] in ('TCHP', 'AC-TH', 'TCH', 'H'):
            ex = True
    prior += ex
    lc = day(p['last_contact_date']); dead = p['death_date'] != ''
    ot = (lc - idx) / M
    os_t.append(ot); os_e.append(1 if dead else 0); fu.append(ot)
    after = [d for d in pd_dates[pid] if d > idx]
    if after and (not dead or min(after) <= lc):
        pfs_t.append((min(after) - idx) / M); pfs_e.append(1)
    else:
        pfs_t.append(ot); pfs_e.append(1 if dead else 0)
    grp = exp_os if ex else nexp_os
    grp[0].append(ot); grp[1].append(1 if dead else 0)
    g2 = few_os if doc[l1['regimen_id']] < 6 else many_os
    g2[0].append(ot); g2[1].append(1 if dead else 0)
ages.sort()
print("age median", ages[N//2], "range", ages[0], ages[-1], "bands", [pct(b) for b in bands], "(6.1 28.0 35.9 29.8)")
print("menopause", {k: pct(v) for k, v in meno.items()}, "(pre 49.5 post 46.9 unk 3.5)")
print("HR", {k: pct(v) for k, v in hr.items()}, "(pos 54.3 neg 41.2 unk 4.3)")
print("de novo", pct(denovo), "(53.9)  prior anti-HER2", pct(prior), "(29.3)")
c = sorted(doc[cohort[p]['regimen_id']] for p in cohort)
print("docetaxel median", c[N//2], "range", c[0], c[-1], "<6", pct(sum(x < 6 for x in c)), "(8.7) 6-9", pct(sum(6 <= x <= 9 for x in c)), "(61.0) >=10", pct(sum(x >= 10 for x in c)), "(30.3)")
print("sites visceral", pct(sum(bool(s & {'lung','liver','pleura','peritoneum','adrenal','other_visceral'}) for s in sites.values())), "(34.2) bone", pct(sum('bone' in s for s in sites.values())), "(22.3) brain", pct(sum('brain' in s for s in sites.values())), "(2.6)")
meas = [p for p in cohort if cohort[p]['measurable_disease'] == 'yes']
best = defaultdict(int)
order = ['CR', 'PR', 'SD', 'PD']
for p in meas:
    rs = [o for o in order if o in thp_resp[p]]
    best[rs[0] if rs else 'NE'] += 1
print("measurable", pct(len(meas)), "(96.5) best", {k: pct(best[k], len(meas)) for k in order + ['NE']}, "(17.7 69.0 11.3 1.8)")
fu.sort()
print(f"reverse-KM follow-up median {km_median(os_t, [1 - e for e in os_e]):.1f}")
print(f"follow-up median {fu[N//2]:.1f} (28.7)  deaths {pct(sum(os_e))} (26.3)  PD-events {pct(sum(pfs_e))}")
print(f"PFS median {km_median(pfs_t, pfs_e):.1f} (19.1)   OS median {km_median(os_t, os_e):.1f} (58.3)")
print(f"OS prior anti-HER2 {km_median(*exp_os):.1f} vs none {km_median(*nexp_os):.1f} (46.6 vs >80)")
print(f"OS <6 cycles {km_median(*few_os):.1f} vs >=6 {km_median(*many_os):.1f}")
resp = [p for p in meas if any(o in ('CR', 'PR') for o in thp_resp[p])]
ltr = 0
for p in resp:
    l1 = cohort[p]; lc = day(pat[p]['last_contact_date'])
    end = day(l1['end_date']) if l1['end_date'] else lc
    ltr += (end - day(l1['start_date'])) / M > 35
print("long-term responders", pct(ltr, len(resp)), "(16.7)")
for term, n in ae.items():
    g = defaultdict(int)
    for v in n.values(): g[v] += 1
    print(f"  AE {term}: " + ", ".join(f"g{k} {100*g[k]/N:.1f}%" for k in sorted(g)))
# second line
sec = defaultdict(int); tdm = ([], [], [], [])
for pid, l1 in cohort.items():
    l2 = [r for r in regs[pid] if r['setting'] == 'palliative' and r['line'] == '2']
    if not l2: continue
    r2 = l2[0]; sec[r2['regimen']] += 1
    if r2['regimen'] == 'T-DM1':
        s = day(r2['start_date']); lc = day(pat[pid]['last_contact_date']); dead = pat[pid]['death_date'] != ''
        tdm[0].append((lc - s) / M); tdm[1].append(1 if dead else 0)
        after = [d for d in pd_dates[pid] if d > s]
        if after: tdm[2].append((min(after) - s) / M); tdm[3].append(1)
        else: tdm[2].append((lc - s) / M); tdm[3].append(1 if dead else 0)
n2 = sum(sec.values())
print("second line", {k: pct(v, n2) for k, v in sec.items()}, "(T-DM1 72.2 XL 17.4 AC 6.3)")
print(f"T-DM1 PFS median {km_median(tdm[2], tdm[3]):.1f} (9.9)  OS median {km_median(tdm[0], tdm[1]):.1f} (30.3)")
