"""An illness before a diagnosis or a referral: a cancer prodrome (1-9 months before the
diagnosis) or, milder, the work-up illness of a referral that finds no cancer.

It adds contacts, symptom codes, new drugs and weights, and shifts lab values and weights
progressively (t = 0 at its start, 1 at its end; back to normal 90 days after the end)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import background
from .events import EventSink, expand
from .labs import LabModel
from .params import Params
from .population import Patients

SIGNALS = ("weight", "hb", "iron", "alp", "calcium", "esr", "platelets", "crp",
           "fatigue", "pain", "appetite", "fever")
SIGNAL_LABS = {"hb": ("hb",), "iron": ("hb", "ferritin"), "alp": ("alp",),
               "calcium": ("calcium", "albumin"), "esr": ("esr",), "platelets": ("platelets",),
               "crp": ("crp",)}
SIGNAL_CODES = {"fatigue": ("R53.9",), "pain": ("R52.9",), "appetite": ("R63.0",),
                "weight": ("R63.4", "R63.4", "R63.4", "R64.9"), "fever": ("R50.9",)}
RECOVERY_DAYS = 90


@dataclass
class Illness:
    start: np.ndarray  # day, -1 = none
    end: np.ndarray  # day of diagnosis / referral closing
    sig: np.ndarray  # (n, len(SIGNALS)) bool
    severity: np.ndarray  # 1 = cancer prodrome; < 1 milder
    loss: np.ndarray  # weight-loss fraction at the end

    @classmethod
    def none(cls, n: int) -> "Illness":
        return cls(np.full(n, -1, np.int64), np.full(n, -1, np.int64),
                   np.zeros((n, len(SIGNALS)), bool), np.zeros(n), np.zeros(n))

    def has(self, name: str) -> np.ndarray:
        return self.sig[:, SIGNALS.index(name)]

    def progress(self, p: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Severity-weighted progress of each (patient, day)."""
        s, e = self.start[p], self.end[p]
        on = (s >= 0) & (day >= s) & (day <= e + RECOVERY_DAYS)
        t = np.clip((day - s) / np.maximum(e - s, 1), 0.0, 1.0)
        return np.where(on, t * self.severity[p], 0.0)


def lab_shift(ill: Illness, P: Params, labs: LabModel, p: np.ndarray, day: np.ndarray,
              a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Multiplicative and additive shift of each lab row from its patient's illness."""
    c = P.cfg["cancer"]
    s = ill.progress(p, day)
    mul = np.ones(len(p))
    add = np.zeros(len(p))
    has = {name: ill.has(name)[p] for name in SIGNALS}

    def is_(name):
        return a == labs.index(name)

    hb_shift = np.where(has["iron"], c["shift_iron_hb"], np.where(has["hb"], c["shift_hb"], 0.0))
    add += np.where(is_("hb"), hb_shift * s, 0.0)
    mul *= np.where(is_("ferritin") & has["iron"], 1 - (1 - c["shift_ferritin_factor"]) * s, 1.0)
    add += np.where(is_("calcium") & has["calcium"], c["shift_calcium"] * s, 0.0)
    add += np.where(is_("calcium_ionized") & has["calcium"], c["shift_calcium"] / 2 * s, 0.0)
    add += np.where(is_("albumin") & has["weight"], c["shift_albumin"] * s, 0.0)
    for sig, analyte, key in (("alp", "alp", "shift_alp_factor"), ("esr", "esr", "shift_esr_factor"),
                              ("platelets", "platelets", "shift_platelets_factor"),
                              ("crp", "crp", "shift_crp_factor")):
        mul *= np.where(is_(analyte) & has[sig], 1 + (c[key] - 1) * s, 1.0)
    return mul, add


def weight_factor(ill: Illness, p: np.ndarray, day: np.ndarray) -> np.ndarray:
    return 1 - np.where(ill.has("weight")[p], ill.loss[p], 0.0) * ill.progress(p, day)


def draw_signals(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """Signals per patient from per-patient probabilities (n, len(SIGNALS)); at least one."""
    sig = rng.random(probs.shape) < probs
    none = ~sig.any(axis=1)
    sig[none, SIGNALS.index("fatigue")] = True
    return sig


def events(rng: np.random.Generator, ill: Illness, pts: Patients, P: Params, labs: LabModel,
           sink: EventSink) -> None:
    """Contacts (more frequent towards the end), codes, new drugs, weights and labs."""
    c = P.cfg["cancer"]
    who = np.flatnonzero(ill.start >= 0)
    months = (ill.end[who] - ill.start[who]) / 30.4
    rate = c["prodrome_contacts_per_month"] * np.maximum(ill.severity[who], 0.5)
    owner, _ = expand(1 + rng.poisson(rate * months))
    p = who[owner]
    span = ill.end[p] - ill.start[p]
    day = ill.start[p] + np.floor(np.sqrt(rng.random(len(p))) * span).astype(np.int64)
    background.add_contacts(rng, sink, P, p, day)

    for name, codes in SIGNAL_CODES.items():
        m = ill.has(name)[p] & (rng.random(len(p)) < c["signal_code_prob"])
        code = np.array(codes, dtype=object)[rng.integers(0, len(codes), m.sum())]
        sink.add("diagnoses", p=p[m], date=day[m], icd10=code)

    m = np.flatnonzero(rng.random(len(p)) < c["new_drug_prob"])
    groups = ("analgesic", "ppi", "antibiotic", "prodrome_extra")
    w = np.stack([np.where(ill.has("pain")[p[m]], 0.4, 0.15), np.full(len(m), 0.3),
                  np.where(ill.has("fever")[p[m]], 0.3, 0.1), np.full(len(m), 0.2)], axis=1)
    g = (rng.random(len(m))[:, None] > np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)).sum(axis=1)
    for gi, group in enumerate(groups):
        sel = m[g == gi]
        background.add_prescriptions(rng, sink, P, p[sel], day[sel], group,
                                     rng.integers(7, 31, len(sel)).astype(float))

    wprob = np.where(ill.has("weight")[p], 0.5, 0.25)
    m = rng.random(len(p)) < wprob
    sink.add("observations", p=p[m], date=day[m], kind="weight", value=np.full(m.sum(), np.nan), unit="kg")

    m = rng.random(len(p)) < c["prodrome_lab_prob"]
    lp, lday = p[m], day[m]
    force = np.zeros((len(lp), len(labs.names)), bool)
    for sig, analytes in SIGNAL_LABS.items():
        for analyte in analytes:
            force[:, labs.index(analyte)] |= ill.has(sig)[lp]
    background.add_lab_order(rng, sink, pts, P, lp, lday, labs, force=force)
