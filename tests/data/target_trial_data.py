# Generates target_trial.csv: a synthetic cohort for the target trial emulation test
# (tests/data/target_trial.R, tests/target_trial_test.cpp). Fixed seed; rerunning gives
# the same file. Columns: id, age, ecog, time (days), status (1 = event), days (the days
# of the strategy's administrations, ';'-separated, empty when none).
import csv
import math
import random

rng = random.Random(20261129)
with open("target_trial.csv", "w", newline="") as out:
    writer = csv.writer(out)
    writer.writerow(["id", "age", "ecog", "time", "status", "days"])
    for patient in range(1, 301):
        age = round(rng.gauss(60, 10), 1)
        ecog = rng.choices(["0", "1", "2"], weights=[5, 4, 1])[0]
        rate = 1 / 700 * math.exp(0.02 * (age - 60) + 0.4 * int(ecog))
        event_time = max(1, round(rng.expovariate(rate)))
        censor_time = max(1, round(rng.uniform(60, 1400)))
        time = min(event_time, censor_time)
        status = 1 if event_time <= censor_time else 0
        # Cycles every ~21 days from day 0; the chance of stopping grows with age and ECOG.
        stop = 0.08 + 0.004 * (age - 60) + 0.06 * int(ecog)
        days, day = [], 0
        while day < time and len(days) < 8:
            days.append(day)
            if rng.random() < max(0.02, stop):
                break
            day += 21 + rng.choice([-2, 0, 0, 0, 1, 3, 7])
        writer.writerow([patient, age, ecog, time, status, ";".join(str(d) for d in days)])
