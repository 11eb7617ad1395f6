"""Load the generator's parameters from `pipeline/data/synth/` (TOML + CSV tables)."""
from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..paths import DATA_DIR

SYNTH_DATA = DATA_DIR / "synth"


def read_table(name: str) -> dict[str, np.ndarray]:
    """A CSV table (lines starting with '#' are comments) as columns; numeric columns as float."""
    with open(SYNTH_DATA / name, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(line for line in fh if not line.startswith("#")))
    header, body = rows[0], rows[1:]
    cols: dict[str, np.ndarray] = {}
    for i, key in enumerate(header):
        values = [r[i] for r in body]
        try:
            cols[key] = np.array([float(v) if v != "" else np.nan for v in values])
        except ValueError:
            cols[key] = np.array(values, dtype=object)
    return cols


@dataclass(frozen=True)
class Params:
    cfg: dict
    population: dict
    incidence: dict
    sites: dict
    labs: dict
    atc: dict
    icd: dict

    def analyte_index(self, name: str) -> int:
        return int(np.flatnonzero(self.labs["analyte"] == name)[0])

    def codes(self, table: dict, key: str, group: str) -> tuple[np.ndarray, np.ndarray]:
        """Codes of one group and their normalised weights."""
        mask = table["group"] == group
        w = table["weight"][mask]
        return table[key][mask], w / w.sum()


@lru_cache(maxsize=1)
def load() -> Params:
    with open(SYNTH_DATA / "synth.toml", "rb") as fh:
        cfg = tomllib.load(fh)
    return Params(cfg, read_table("population.csv"), read_table("cancer_incidence.csv"),
                  read_table("cancer_sites.csv"), read_table("labs.csv"),
                  read_table("atc_codes.csv"), read_table("icd10_codes.csv"))


def by_age(age: np.ndarray, bands_from: list, values: list) -> np.ndarray:
    """Look up a value per age from bands given by their lower bounds."""
    idx = np.searchsorted(np.asarray(bands_from), age, side="right") - 1
    return np.asarray(values, dtype=float)[np.clip(idx, 0, len(values) - 1)]
