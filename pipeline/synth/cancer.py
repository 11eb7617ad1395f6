"""Cancer: incidence by age and sex, site mix, post-diagnosis deaths, the prodrome, the
register rows (with the register lag) and the occasional C-code in primary-care diagnoses."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .events import EventSink, uniform_days
from .illness import SIGNALS, Illness, draw_signals
from .params import Params, by_age
from .population import Patients, Period

YEAR = 365.25


@dataclass
class Cancers:
    p: np.ndarray  # local patient
    dx: np.ndarray  # diagnosis day
    site: np.ndarray  # index into P.sites
    icd10: np.ndarray  # code with the dot
    prodrome: np.ndarray  # bool
    prior: np.ndarray  # bool: diagnosed before the period (register history)


def pick_codes(rng: np.random.Generator, P: Params, site: np.ndarray) -> np.ndarray:
    out = np.empty(len(site), dtype=object)
    for s in np.unique(site):  # loop over ~20 sites, not patients
        codes = np.array(P.sites["icd10"][s].split(), dtype=object)
        m = site == s
        out[m] = codes[rng.integers(0, len(codes), m.sum())]
    return out


def pick_sites(rng: np.random.Generator, P: Params, male: np.ndarray) -> np.ndarray:
    site = np.empty(len(male), dtype=np.int64)
    for is_male, key in ((True, "share_m"), (False, "share_f")):
        w = P.sites[key] / P.sites[key].sum()
        m = male == is_male
        site[m] = rng.choice(len(w), size=m.sum(), p=w)
    return site


def draw(rng: np.random.Generator, pts: Patients, P: Params, period: Period) -> Cancers:
    """New cancers in the period (+ months after it) and prior cancers; sets cancer deaths."""
    c = P.cfg["cancer"]
    inc = P.incidence
    group = np.clip(np.searchsorted(inc["age_from"], pts.age, side="right") - 1, 0, len(inc["age_from"]) - 1)
    rate = np.where(pts.male, inc["rate_m"][group], inc["rate_f"][group]) / 1e5
    horizon = period.end + int(c["extra_months_after"] * 30.4)
    until = np.where(pts.death >= 0, pts.death, horizon)
    years = np.maximum(until - period.start, 0) / YEAR
    has = rng.random(pts.n) < np.minimum(rate * years, 1.0)  # a crude rate: cases per person-year
    p = np.flatnonzero(has)
    dx = uniform_days(rng, period.start, until[p])
    site = pick_sites(rng, P, pts.male[p])
    adult_at_dx = pts.age_at(dx, p) >= 19
    prodrome = adult_at_dx & (rng.random(len(p)) < P.sites["prodrome"][site])

    # deaths after diagnosis
    dies = rng.random(len(p)) < P.sites["one_year_mortality"][site]
    death = dx + rng.integers(20, 366, len(p))
    earlier = dies & (death <= period.end) & ((pts.death[p] < 0) | (death < pts.death[p]))
    pts.death[p[earlier]] = death[earlier]

    # prior cancers (register history before the period)
    prior_p = np.flatnonzero(rng.random(pts.n) < by_age(pts.age, c["prior_cancer_age_from"],
                                                          c["prior_cancer_prevalence"]))
    lo, hi = c["prior_cancer_years"]
    prior_dx = period.start - np.floor(rng.uniform(lo, hi, len(prior_p)) * YEAR).astype(np.int64)
    prior_site = pick_sites(rng, P, pts.male[prior_p])

    pts.update_window(period)
    sites = np.concatenate([site, prior_site])
    return Cancers(np.concatenate([p, prior_p]), np.concatenate([dx, prior_dx]), sites,
                   pick_codes(rng, P, sites), np.concatenate([prodrome, np.zeros(len(prior_p), bool)]),
                   np.concatenate([np.zeros(len(p), bool), np.ones(len(prior_p), bool)]))


def prodromes(rng: np.random.Generator, ca: Cancers, pts: Patients, P: Params, ill: Illness) -> None:
    """Write the prodromes of the new cancers into the block's illness arrays."""
    c = P.cfg["cancer"]
    i = np.flatnonzero(ca.prodrome)
    p = ca.p[i]
    lo, hi = c["prodrome_months"]
    ill.start[p] = ca.dx[i] - np.floor(rng.uniform(lo, hi, len(i)) * 30.4).astype(np.int64)
    ill.end[p] = ca.dx[i]
    probs = np.stack([P.sites[s][ca.site[i]] for s in SIGNALS], axis=1)
    ill.sig[p] = draw_signals(rng, probs)
    ill.severity[p] = 1.0
    lo, hi = c["weight_loss_fraction"]
    ill.loss[p] = rng.uniform(lo, hi, len(i))


def register(rng: np.random.Generator, ca: Cancers, P: Params, period: Period,
             register_complete: int, sink: EventSink) -> np.ndarray:
    """Register rows (lagged) and C-codes in diagnoses; returns which cancers are in the register."""
    share_after = P.cfg["register_share_after_complete"]
    in_reg = (ca.dx <= register_complete) | (
        (ca.dx <= period.end) & (rng.random(len(ca.p)) < share_after))
    sink.add("cancer_diagnoses", p=ca.p[in_reg], date=ca.dx[in_reg], icd10=ca.icd10[in_reg])
    m = ~ca.prior & (rng.random(len(ca.p)) < P.cfg["cancer"]["c_code_in_diagnoses"])
    sink.add("diagnoses", p=ca.p[m], date=ca.dx[m] + rng.integers(0, 31, m.sum()), icd10=ca.icd10[m])
    return in_reg
