"""Seeded random small populations for property tests (dense enough to meet criteria)."""
from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd

from pipeline import schema

START = dt.date(2023, 1, 1)
DAYS = 3 * 365
LABS = {  # analyte: (mean, sd, decimals)
    "hb": (132, 14, 0), "alp": (1.4, 0.5, 1), "esr": (22, 14, 0), "platelets": (300, 80, 0),
    "calcium": (2.45, 0.12, 2), "calcium_ionized": (1.25, 0.07, 2), "albumin": (38, 4, 0),
    "ferritin": (60, 35, 0),
}
CODES = ["R53", "R539", "R50", "R509", "R52", "R630", "R634", "R64", "J06", "I10"]
ATC = ["A02BC01", "J01CA04", "N02AX02", "C09AA05", "N02BE01", "A06AD11", "B03AA07", "H02AB06"]
CANCER = ["C187", "C349", "C449", "C509", "C61", "D126"]


def _dates(rng, n):
    return [START + dt.timedelta(days=int(d)) for d in rng.integers(0, DAYS, n)]


def random_population(seed: int, n: int = 60) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = [f"P{seed}-{i:03d}" for i in range(n)]
    birth_year = rng.integers(1930, 2010, n)
    exact = rng.random(n) < 0.3
    pats = pd.DataFrame({
        "patient_id": ids,
        "birth_year": birth_year,
        "birth_date": [dt.date(int(y), int(rng.integers(1, 13)), int(rng.integers(1, 29))) if e else None
                       for y, e in zip(birth_year, exact)],
        "sex": rng.choice(["F", "M"], n),
        "care_unit_id": rng.choice(["VC1", "VC2", "VC3"], n),
        "listed_from": [d if rng.random() < 0.2 else None for d in _dates(rng, n)],
        "listed_to": [d if rng.random() < 0.1 else None for d in _dates(rng, n)],
        "death_date": [d if rng.random() < 0.1 else None for d in _dates(rng, n)],
    })
    per = rng.poisson(12, n) + rng.poisson(30, n) * (rng.random(n) < 0.3)

    def events(k):
        pid = np.repeat(ids, k)
        return pid, _dates(rng, len(pid))

    pid, d = events(per)
    contacts = pd.DataFrame({"patient_id": pid, "contact_date": d})
    pid, d = events(rng.poisson(6, n))
    prescriptions = pd.DataFrame({"patient_id": pid, "prescribed_date": d,
                                  "atc_code": rng.choice(ATC, len(pid)),
                                  "ddd": rng.choice([30.0, 60.0], len(pid))})
    labs = []
    for analyte, (mu, sd, dec) in LABS.items():
        pid, d = events(rng.poisson(4, n))
        labs.append(pd.DataFrame({"patient_id": pid, "sample_date": d, "analyte": analyte,
                                  "value": np.round(rng.normal(mu, sd * 1.6, len(pid)).clip(0.1), dec),
                                  "unit": "u"}))
    lab_results = pd.concat(labs, ignore_index=True)
    # make some albumin fall within 7 days of a calcium sample
    ca = lab_results[lab_results.analyte == "calcium"].sample(frac=0.5, random_state=seed)
    lab_results = pd.concat([lab_results, ca.assign(
        analyte="albumin", value=np.round(rng.normal(36, 6, len(ca)), 0),
        sample_date=[x + dt.timedelta(days=int(o)) for x, o in
                     zip(ca.sample_date, rng.integers(-8, 9, len(ca)))])], ignore_index=True)
    pid, d = events(rng.poisson(3, n))
    diagnoses = pd.DataFrame({"patient_id": pid, "diagnosis_date": d,
                              "icd10": rng.choice(CODES, len(pid))})
    pid, d = events(rng.poisson(3, n))
    observations = pd.DataFrame({"patient_id": pid, "obs_date": d, "kind": "weight",
                                 "value": np.round(rng.normal(80, 6, len(pid)), 1), "unit": "kg"})
    pid, d = events(rng.poisson(0.15, n))
    cancer = pd.DataFrame({"patient_id": pid, "diagnosis_date": d,
                           "icd10": rng.choice(CANCER, len(pid))})
    pid, d = events(rng.poisson(0.15, n))
    referrals = pd.DataFrame({"patient_id": pid, "event_date": d, "pathway": "AOS",
                              "event": "start"})
    return {"patients": pats, "contacts": contacts, "prescriptions": prescriptions,
            "lab_results": lab_results, "diagnoses": diagnoses, "observations": observations,
            "cancer_diagnoses": cancer, "referrals": referrals}


def load(frames: dict[str, pd.DataFrame], path: str = ":memory:"):
    con = duckdb.connect(path)
    schema.create_all(con)
    for name, df in frames.items():
        con.register("frame", df)
        cols = ", ".join(df.columns)
        con.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM frame")
        con.unregister("frame")
        con.execute("INSERT INTO ingest_files VALUES ('test', ?, ?, 'x', ?, ?, 0, 0, now())",
                    [name, f"{name}.csv", len(df), len(df)])
    return con


DATE_COLUMNS = {"contacts": "contact_date", "prescriptions": "prescribed_date",
                "lab_results": "sample_date", "diagnoses": "diagnosis_date",
                "observations": "obs_date", "cancer_diagnoses": "diagnosis_date",
                "referrals": "event_date"}


def truncate(frames: dict[str, pd.DataFrame], t: dt.date) -> dict[str, pd.DataFrame]:
    """What an extract taken on T would hold: every event dated after T removed, and a
    death after T not yet known."""
    out = {}
    for name, df in frames.items():
        if name in DATE_COLUMNS:
            df = df[df[DATE_COLUMNS[name]] <= t]
        elif name == "patients":
            df = df.assign(death_date=[d if d is not None and d <= t else None
                                       for d in df.death_date])
        out[name] = df
    return out
