"""Lab values: each patient has a personal level per analyte (between-person spread), each
result adds within-person noise, chronic conditions shift the personal level persistently, and
episodes or a cancer prodrome shift single results (multiplicative `mul`, additive `add`)."""
from __future__ import annotations

import numpy as np

from .params import Params
from .population import Patients


class LabModel:
    def __init__(self, rng: np.random.Generator, pts: Patients, P: Params) -> None:
        L = P.labs
        self.P = P
        self.names = L["analyte"]
        self.units = L["unit"]
        n_a = len(self.names)
        self.z = rng.standard_normal((pts.n, n_a)).astype(np.float32)
        mean = np.where(pts.male[:, None], L["mean_m"][None, :], L["mean_f"][None, :])
        age = pts.age[:, None].astype(float)
        log = L["dist"] == "lognormal"
        centre = np.where(log[None, :], np.log(np.maximum(mean, 1e-9))
                          + np.log1p(np.maximum(L["age_slope"][None, :] * age, -0.9)),
                          mean + L["age_slope"][None, :] * age)
        self.centre = centre + L["between_sd"][None, :] * self.z
        self.log = log
        self.mul = np.ones((pts.n, n_a))  # persistent (chronic conditions)
        self.add = np.zeros((pts.n, n_a))

    def index(self, name: str) -> int:
        return self.P.analyte_index(name)

    def values(self, rng: np.random.Generator, p: np.ndarray, a: np.ndarray, mul: np.ndarray,
               add: np.ndarray) -> np.ndarray:
        L = self.P.labs
        x = self.centre[p, a] + L["within_sd"][a] * rng.standard_normal(len(p))
        v = np.where(self.log[a], np.exp(x), x)
        v = v * self.mul[p, a] * mul + self.add[p, a] + add
        v = np.maximum(v, 0.0)
        dec = L["decimals"][a].astype(int)
        out = np.empty_like(v)
        for d in np.unique(dec):  # a handful of distinct roundings, not a loop over rows
            m = dec == d
            out[m] = np.round(v[m], d)
        return out
