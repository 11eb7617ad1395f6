"""Care units and patients: Swedish-like age/sex structure, listing changes and deaths."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .events import uniform_days
from .params import Params

YEAR = 365.25


@dataclass
class Period:
    start: int  # first day (days since 1970-01-01)
    end: int  # extract date: last day of --to
    start_year: int

    @property
    def years(self) -> float:
        return (self.end - self.start + 1) / YEAR


@dataclass
class CareUnits:
    ids: np.ndarray
    names: np.ndarray
    weights: np.ndarray  # share of listed patients


UNIT_NAMES = ("Björkhagen", "Centrum", "Ekbacken", "Fågelsången", "Gärdet", "Hagalund", "Idun",
              "Järnvägen", "Kvarnen", "Lärkan", "Månstorp", "Norrmalm", "Österport", "Päronet",
              "Råbyn", "Söderås", "Tallbacken", "Ugglan", "Vallby", "Åkern", "Älvsby", "Örnen")


def care_units(rng: np.random.Generator, n_patients: int, P: Params) -> CareUnits:
    cu = P.cfg["care_units"]
    k = max(1, round(n_patients / cu["mean_size"]))
    sizes = rng.uniform(cu["min_size"], cu["max_size"], size=k)
    ids = np.array([f"VC{i + 1:03d}" for i in range(k)], dtype=object)
    names = np.array([f"Vårdcentralen {UNIT_NAMES[i % len(UNIT_NAMES)]}"
                      + (f" {i // len(UNIT_NAMES) + 1}" if i >= len(UNIT_NAMES) else "")
                      for i in range(k)], dtype=object)
    return CareUnits(ids, names, sizes / sizes.sum())


@dataclass
class Patients:
    first_index: int  # global 0-based index of the block's first patient
    male: np.ndarray  # bool
    birth_year: np.ndarray
    age: np.ndarray  # age (years) at the period start: start_year - birth_year
    unit: np.ndarray  # index into CareUnits
    listed_from: np.ndarray  # day
    listed_to: np.ndarray  # day, or -1 when still listed
    death: np.ndarray  # day, or -1 when alive at the extract date
    ws: np.ndarray | None = None  # active window start (listed, in the period)
    we: np.ndarray | None = None  # active window end (listed, alive, <= extract date)

    @property
    def n(self) -> int:
        return len(self.male)

    def update_window(self, period: Period) -> None:
        self.ws = np.maximum(self.listed_from, period.start)
        we = np.full(self.n, period.end, dtype=np.int64)
        we = np.where(self.listed_to >= 0, np.minimum(we, self.listed_to), we)
        self.we = np.where(self.death >= 0, np.minimum(we, self.death), we)

    def active_years(self) -> np.ndarray:
        return np.maximum(self.we - self.ws + 1, 0) / YEAR

    def age_at(self, day: np.ndarray, p: np.ndarray | None = None) -> np.ndarray:
        """Age as the rules compute it with a birth year only: year(day) - birth_year."""
        by = self.birth_year if p is None else self.birth_year[p]
        return year_of(day) - by


def year_of(day) -> np.ndarray:
    return np.asarray(day, dtype=np.int64).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def patients(rng: np.random.Generator, n: int, first_index: int, period: Period, units: CareUnits,
             P: Params) -> Patients:
    pop = P.population
    share = pop["share"] / pop["share"].sum()
    group = rng.choice(len(share), size=n, p=share)
    male = rng.random(n) < pop["male_fraction"][group]
    lo, hi = pop["age_from"][group], pop["age_to"][group]
    age = (lo + np.floor(rng.random(n) * (hi - lo + 1))).astype(np.int64)
    birth_year = period.start_year - age
    unit = rng.choice(len(units.weights), size=n, p=units.weights)

    years = period.years
    ls = P.cfg["listing"]
    p_in = 1 - (1 - ls["move_in_per_year"]) ** years
    moved_in = rng.random(n) < p_in
    birth_day = (np.asarray(birth_year - 1970, dtype=np.int64).astype("datetime64[Y]")
                 .astype("datetime64[D]").astype(np.int64))
    earliest = np.maximum(birth_day, period.start - int(ls["years_listed_before_max"] * 365))
    listed_from = np.where(moved_in, uniform_days(rng, period.start + 1, period.end),
                           uniform_days(rng, earliest, period.start - 1))
    p_out = 1 - (1 - ls["move_out_per_year"]) ** years
    moved_out = rng.random(n) < p_out
    listed_to = np.where(moved_out, uniform_days(rng, np.maximum(listed_from, period.start), period.end), -1)

    q = np.where(male, pop["mortality_m"][group], pop["mortality_f"][group]) / 1000.0
    dies = rng.random(n) < 1 - (1 - q) ** years
    death = np.where(dies, uniform_days(rng, np.maximum(listed_from, period.start), period.end), -1)
    pts = Patients(first_index, male, birth_year, age, unit, listed_from.astype(np.int64),
                   listed_to.astype(np.int64), death.astype(np.int64))
    pts.update_window(period)
    return pts
