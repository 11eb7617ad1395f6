"""Background care: overdispersed contacts rising with age, lab orders, chronic and acute
prescriptions, diagnoses incl. background AOS symptom codes, weights and heights."""
from __future__ import annotations

import numpy as np

from .events import EventSink, expand, pick, uniform_days
from .labs import LabModel
from .params import Params, by_age
from .population import Patients


def contact_rates(rng: np.random.Generator, pts: Patients, P: Params, frequent: np.ndarray) -> np.ndarray:
    c = P.cfg["contacts"]
    rate = by_age(pts.age, c["age_from"], c["rate_per_year"])
    rate = rate * np.where(pts.male, 1.0, c["female_factor"])
    rate = rate * rng.gamma(c["gamma_shape"], 1.0 / c["gamma_shape"], size=pts.n)
    f = P.cfg["confounders"]["frequent_attender_factor"]
    return rate * np.where(frequent, f, 1.0)


def add_contacts(rng: np.random.Generator, sink: EventSink, P: Params, p: np.ndarray, day: np.ndarray) -> None:
    c = P.cfg["contacts"]
    n = len(p)
    w_t = np.asarray(c["contact_type_weights"], float)
    w_p = np.asarray(c["professional_weights"], float)
    sink.add("contacts", p=p, date=day,
             contact_type=pick(rng, np.array(c["contact_types"], dtype=object), w_t / w_t.sum(), n),
             professional=pick(rng, np.array(c["professionals"], dtype=object), w_p / w_p.sum(), n))


def add_lab_order(rng: np.random.Generator, sink: EventSink, pts: Patients, P: Params,
                  p: np.ndarray, day: np.ndarray, labs: LabModel, shift: dict | None = None,
                  extra: tuple[str, ...] = (), force: np.ndarray | None = None) -> None:
    """One routine lab order per (p, day): each analyte included with its order probability,
    plus the `extra` analytes and, per row, those marked in `force` (rows x analytes)."""
    if len(p) == 0:
        return
    L = P.labs
    prob = np.tile(L["order_prob"], (len(p), 1))
    psa = labs.index("psa")
    prob[:, psa] = np.where(pts.male[p] & (pts.age[p] >= 40), prob[:, psa], 0.0)
    for name in extra:
        prob[:, labs.index(name)] = 1.0
    take = rng.random(prob.shape) < prob
    if force is not None:
        take |= force
    take[~take.any(axis=1), labs.index("hb")] = True
    row, a = np.nonzero(take)
    mul = np.ones(len(row))
    add = np.zeros(len(row))
    for name, factor in (shift or {}).items():
        mul = np.where(a == labs.index(name), factor, mul)
    sink.add("lab_results", p=p[row], date=day[row], a=a, mul=mul, add=add)


def add_prescriptions(rng: np.random.Generator, sink: EventSink, P: Params, p: np.ndarray,
                      day: np.ndarray, group: str, ddd: np.ndarray | float) -> None:
    codes, w = P.codes(P.atc, "atc_code", group)
    sink.add("prescriptions", p=p, date=day, atc_code=pick(rng, codes, w, len(p)), ddd=ddd)


def add_diagnoses(rng: np.random.Generator, sink: EventSink, P: Params, p: np.ndarray,
                  day: np.ndarray, group: str) -> None:
    codes, w = P.codes(P.icd, "icd10", group)
    sink.add("diagnoses", p=p, date=day, icd10=pick(rng, codes, w, len(p)))


def generate(rng: np.random.Generator, pts: Patients, P: Params, sink: EventSink, labs: LabModel,
             frequent: np.ndarray, height: np.ndarray) -> None:
    cfg = P.cfg
    years = pts.active_years()
    n_contacts = rng.poisson(contact_rates(rng, pts, P, frequent) * years)
    p, _ = expand(n_contacts)
    day = uniform_days(rng, pts.ws[p], pts.we[p])
    add_contacts(rng, sink, P, p, day)
    adult = pts.age_at(day, p) >= 18

    # lab orders
    lab_prob = np.where(adult, cfg["labs"]["order_prob_adult"], cfg["labs"]["order_prob_child"])
    m = rng.random(len(p)) < lab_prob
    add_lab_order(rng, sink, pts, P, p[m], day[m], labs)

    # acute prescriptions
    rx = cfg["prescriptions"]
    m = np.flatnonzero(rng.random(len(p)) < rx["acute_per_contact"])
    groups = list(rx["acute_group_weights"])
    gw = np.array([rx["acute_group_weights"][g] for g in groups], float)
    g = rng.choice(len(groups), size=len(m), p=gw / gw.sum())
    for gi, name in enumerate(groups):
        sel = m[g == gi]
        add_prescriptions(rng, sink, P, p[sel], day[sel], name, rng.integers(5, 31, len(sel)).astype(float))

    # chronic prescriptions, renewed about every renew_days
    n_chronic = rng.poisson(by_age(pts.age, rx["chronic_age_from"], rx["chronic_mean"]))
    cp, _ = expand(n_chronic)
    codes, w = P.codes(P.atc, "atc_code", "chronic")
    code = pick(rng, codes, w, len(cp))
    first = uniform_days(rng, pts.ws[cp], pts.ws[cp] + rx["renew_days"])
    span = pts.we[cp] - first
    n_renew = np.where(span >= 0, span // rx["renew_days"] + 1, 0)
    owner, k = expand(n_renew)
    rday = first[owner] + k * rx["renew_days"] + rng.integers(-rx["renew_jitter_days"],
                                                              rx["renew_jitter_days"] + 1, len(owner))
    sink.add("prescriptions", p=cp[owner], date=rday, atc_code=code[owner],
             ddd=np.full(len(owner), float(rx["renew_days"])))

    # diagnoses: background codes and background AOS symptom codes
    dx = cfg["diagnoses"]
    m = rng.random(len(p)) < dx["background_per_contact"]
    add_diagnoses(rng, sink, P, p[m], day[m], "background")
    for code, rate in zip(dx["symptom_codes"], dx["symptom_per_contact"]):
        m = adult & (rng.random(len(p)) < rate)
        sink.add("diagnoses", p=p[m], date=day[m], icd10=code)

    # weights and heights of adults
    ob = cfg["observations"]
    m = adult & (rng.random(len(p)) < ob["weight_per_contact_adult"])
    add_weights(sink, p[m], day[m])
    m = adult & (rng.random(len(p)) < ob["height_per_contact_adult"])
    sink.add("observations", p=p[m], date=day[m], kind="height", value=height[p[m]], unit="cm")


def add_weights(sink: EventSink, p: np.ndarray, day: np.ndarray) -> None:
    """Weights; the value (usual weight, illness loss, noise) is set when the block is finished."""
    sink.add("observations", p=p, date=day, kind="weight", value=np.full(len(p), np.nan), unit="kg")


def body(rng: np.random.Generator, pts: Patients, P: Params) -> tuple[np.ndarray, np.ndarray]:
    """Each adult's usual weight (kg) and height (cm)."""
    ob = P.cfg["observations"]
    mean = np.where(pts.male, ob["weight_mean_m"], ob["weight_mean_f"])
    weight = np.clip(mean + ob["weight_sd"] * rng.standard_normal(pts.n), 40, 180)
    h = np.where(pts.male, ob["height_mean_m"], ob["height_mean_f"])
    height = np.round(h + ob["height_sd"] * rng.standard_normal(pts.n))
    return weight, height
