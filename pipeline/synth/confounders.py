"""Confounders. Chronic conditions with persistently abnormal labs (must NOT look new) and
transient episodes that look like new findings and fool the rules (infection, depression, pain)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import background
from .events import EventSink, expand, uniform_days
from .labs import LabModel
from .params import Params, by_age
from .population import Patients


@dataclass
class Flags:
    renal: np.ndarray
    high_alp: np.ndarray
    frequent: np.ndarray


def flags(rng: np.random.Generator, pts: Patients, P: Params) -> Flags:
    c = P.cfg["confounders"]
    renal = rng.random(pts.n) < by_age(pts.age, c["renal_age_from"], c["renal_prevalence"])
    high_alp = (pts.age >= 50) & (rng.random(pts.n) < c["high_alp_prevalence_50"])
    frequent = (pts.age >= 18) & (rng.random(pts.n) < c["frequent_attender_prevalence"])
    return Flags(renal, high_alp, frequent)


def apply_chronic(rng: np.random.Generator, pts: Patients, P: Params, f: Flags, labs: LabModel,
                  sink: EventSink) -> None:
    """Persistent lab shifts plus the condition's diagnosis code now and then."""
    c = P.cfg["confounders"]
    labs.add[f.renal, labs.index("hb")] += c["renal_hb_shift"]
    labs.mul[f.renal, labs.index("creatinine")] *= c["renal_creatinine_factor"]
    labs.mul[f.renal, labs.index("egfr")] /= c["renal_creatinine_factor"]
    labs.mul[f.high_alp, labs.index("alp")] *= c["high_alp_factor"]
    for mask, group in ((f.renal, "renal"), (f.high_alp, "high_alp")):
        p, _ = expand(np.where(mask, 1 + rng.poisson(2 * pts.active_years()), 0))
        day = uniform_days(rng, pts.ws[p], pts.we[p])
        background.add_diagnoses(rng, sink, P, p, day, group)
        background.add_contacts(rng, sink, P, p, day)
        extra = ("hb", "creatinine") if group == "renal" else ("alp",)
        background.add_lab_order(rng, sink, pts, P, p, day, labs, extra=extra)


def episodes(rng: np.random.Generator, pts: Patients, P: Params, labs: LabModel, sink: EventSink) -> dict:
    """Transient episodes for adults; returns their truth (patient, kind, start day)."""
    truth = {"p": [], "kind": [], "start": []}
    adult_years = np.maximum(pts.we - np.maximum(pts.ws, _adult_from(pts)) + 1, 0) / 365.25
    for kind, e in P.cfg["episodes"].items():
        p, _ = expand(rng.poisson(e["rate_per_year"] * adult_years))
        lo = np.maximum(pts.ws[p], _adult_from(pts)[p])
        start = uniform_days(rng, lo, pts.we[p])
        n_c = rng.integers(e["contacts"][0], e["contacts"][1] + 1, len(p))
        owner, k = expand(n_c)
        cday = start[owner] + np.where(k == 0, 0, rng.integers(1, e["duration_days"] + 1, len(owner)))
        cp = p[owner]
        background.add_contacts(rng, sink, P, cp, cday)
        first = k == 0
        fp, fday = cp[first], cday[first]
        # first-contact code: a symptom code (R50/R52/R53) or a code of the episode's group
        names = list(e["codes"])
        w = np.array([e["codes"][x] for x in names], float)
        choice = rng.choice(len(names), size=len(fp), p=w / w.sum())
        for i, name in enumerate(names):
            m = choice == i
            if name.startswith("R"):
                sink.add("diagnoses", p=fp[m], date=fday[m], icd10=name)
            else:
                background.add_diagnoses(rng, sink, P, fp[m], fday[m], name)
        for group, prob in e["drug_groups"].items():
            m = rng.random(len(fp)) < prob
            background.add_prescriptions(rng, sink, P, fp[m], fday[m], group,
                                         rng.integers(5, 31, m.sum()).astype(float))
        m = rng.random(len(fp)) < e["lab_prob"]
        background.add_lab_order(rng, sink, pts, P, fp[m], fday[m], labs, shift=e["lab_shift"],
                                 extra=tuple(e["lab_shift"]))
        m = rng.random(len(fp)) < e["temperature_prob"]
        sink.add("observations", p=fp[m], date=fday[m], kind="temperature",
                 value=np.round(rng.uniform(37.8, 39.8, m.sum()), 1), unit="C")
        truth["p"].append(p)
        truth["kind"].append(np.full(len(p), kind, dtype=object))
        truth["start"].append(start)
    return {k: np.concatenate(v) for k, v in truth.items()}


def _adult_from(pts: Patients) -> np.ndarray:
    """First day of the year the patient turns 19 (adult by any reading of birth year)."""
    return (np.asarray(pts.birth_year + 19 - 1970, dtype=np.int64).astype("datetime64[Y]")
            .astype("datetime64[D]").astype(np.int64))
