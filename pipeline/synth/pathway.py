"""Referrals: SVF AOS (start VP810, closing VP872/VP878/VP870/VP874) and other pathways.

AOS referrals come at about `aos_per_inhabitant_year`; the share that finds a cancer is set BY
CONSTRUCTION to `confirmed_share` (a calibration target that validates the report's yield, not a
finding): the numbers of cancer and non-cancer referrals per block come from systematic sampling
(`block_count`) of rate x share and rate x (1 - share) per listed person-year, so that their
totals, and hence the share, are close to exact even in a small region. Cancer referrals are drawn
among adults with a prodrome; their register diagnosis follows the start within weeks.
Non-cancer referrals get a milder work-up illness before the start. Before each AOS start the
mandatory lab panel (SPEC §6.4) is usually, not always, complete."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import background
from .cancer import Cancers
from .confounders import _adult_from
from .events import EventSink, uniform_days
from .illness import SIGNALS, Illness, draw_signals
from .labs import LabModel
from .params import Params, by_age
from .population import Patients

KVA = {"start": "VP810", "end_cancer": "VP872", "end_dismissed": "VP878",
       "end_not_met": "VP870", "end_other": "VP874"}
KVA_EVENT = {v: k for k, v in KVA.items()}


def lead_days(rng: np.random.Generator, cfg: dict, n: int) -> np.ndarray:
    d = np.round(cfg["lead_median_days"] * np.exp(cfg["lead_log_sd"] * rng.standard_normal(n)))
    return np.maximum(d, cfg["lead_min_days"]).astype(np.int64)


def block_count(ctx, stream: int, rate_per_year: float) -> int:
    """Systematic sampling across blocks: the number of events of a block such that the running
    total over blocks 0..b stays within 1 of its expectation (a global random phase per seed and
    stream). Depends only on the seed and the block index, never on the chunking."""
    cfg = ctx.P.cfg
    per_patient = rate_per_year * ctx.period.years * cfg["pathway"]["listed_share_of_patient_years"]
    size = cfg["block_size"]
    first = ctx.block * size
    n = min(size, ctx.n_patients - first)
    phase = np.random.default_rng([ctx.seed, 2**32 - 2, stream]).random()
    return int(np.floor(phase + (first + n) * per_patient) - np.floor(phase + first * per_patient))


def referrals(rng: np.random.Generator, ctx, pts: Patients, ca: Cancers, ill: Illness,
              labs: LabModel, sink: EventSink) -> dict:
    """All referrals of the block; returns their truth as columns."""
    P = ctx.P
    cfg = P.cfg["pathway"]
    adult_from = _adult_from(pts)
    truth = []

    # --- AOS referrals that find a cancer ---------------------------------------------
    i = np.flatnonzero(ca.prodrome)
    lead = lead_days(rng, cfg, len(i))
    lo, hi = cfg["dx_lead_fraction"]
    start = ca.dx[i] - np.round(lead * rng.uniform(lo, hi, len(i))).astype(np.int64)
    p = ca.p[i]
    ok = (start >= pts.ws[p]) & (start <= pts.we[p]) & (start >= adult_from[p]) & (start >= ill.start[p])
    k = block_count(ctx, 1, cfg["aos_per_inhabitant_year"] * cfg["confirmed_share"])
    pool = np.flatnonzero(ok)
    chosen = np.zeros(len(i), bool)
    chosen[rng.choice(pool, size=min(k, len(pool)), replace=False)] = True
    c_idx = i[chosen]
    truth.append(_aos(rng, pts, P, labs, sink, ca.p[c_idx], start[chosen], lead[chosen], cancer=True))
    referred = np.zeros(pts.n, bool)
    referred[ca.p[c_idx]] = True

    # --- AOS referrals without cancer: adults, weighted by age, with a work-up illness ----
    years_adult = np.maximum(pts.we - np.maximum(pts.ws, adult_from) + 1, 0) / 365.25
    has_prodrome = ill.start >= 0
    w = years_adult * by_age(pts.age, cfg["age_weights_from"], cfg["age_weights"]) * ~has_prodrome
    k = block_count(ctx, 2, cfg["aos_per_inhabitant_year"] * (1 - cfg["confirmed_share"]))
    k = min(k, int((w > 0).sum()))
    p = np.sort(rng.choice(pts.n, size=k, replace=False, p=w / w.sum())) if k else np.empty(0, np.int64)
    start = uniform_days(rng, np.maximum(pts.ws[p], adult_from[p]), pts.we[p])
    lead = lead_days(rng, cfg, len(p))
    lo, hi = cfg["workup_months"]
    ill.start[p] = start - np.floor(rng.uniform(lo, hi, len(p)) * 30.4).astype(np.int64)
    ill.end[p] = start + lead
    probs = np.tile([cfg["workup_signals"][s] for s in SIGNALS], (len(p), 1))
    ill.sig[p] = draw_signals(rng, probs)
    ill.severity[p] = cfg["workup_severity"]
    ill.loss[p] = rng.uniform(0.04, 0.10, len(p))
    truth.append(_aos(rng, pts, P, labs, sink, p, start, lead, cancer=False))
    referred[p] = True

    # --- site-specific pathways ----------------------------------------------------------
    site_pw = P.sites["pathway"][ca.site]
    new = ~ca.prior & ~referred[ca.p] & (site_pw != "")
    start = ca.dx - rng.integers(7, 31, len(ca.p))
    p = ca.p
    ok = new & (start >= pts.ws[p]) & (start <= pts.we[p]) & (start >= adult_from[p])
    m = ok & (rng.random(len(p)) < cfg["site_pathway_share"])
    truth.append(_other(rng, pts, sink, p[m], start[m], ca.dx[m] + rng.integers(0, 15, m.sum()),
                        site_pw[m], cancer=True))
    n_other = rng.poisson(cfg["other_pathway_noncancer_per_year"] * years_adult)
    p = np.flatnonzero((n_other > 0) & ~referred)
    start = uniform_days(rng, np.maximum(pts.ws[p], adult_from[p]), pts.we[p])
    names = np.array(cfg["other_pathways"], dtype=object)
    truth.append(_other(rng, pts, sink, p, start, start + lead_days(rng, cfg, len(p)),
                        names[rng.integers(0, len(names), len(p))], cancer=False))
    return {k: np.concatenate([t[k] for t in truth]) for k in truth[0]}


def _aos(rng, pts: Patients, P: Params, labs: LabModel, sink: EventSink, p, start, lead, cancer: bool) -> dict:
    cfg = P.cfg["pathway"]
    n = len(p)
    end = start + lead
    if cancer:
        closing = np.full(n, "end_cancer", dtype=object)
    else:
        names = list(cfg["closing_noncancer"])
        w = np.array([cfg["closing_noncancer"][k] for k in names], float)
        closing = np.array([KVA_EVENT[k] for k in names], dtype=object)[rng.choice(len(names), n, p=w / w.sum())]
    kva = rng.random(n) < cfg["kva_share"]
    ev_start = np.where(kva, KVA["start"], "start").astype(object)
    ev_end = np.where(kva, np.array([KVA[c] for c in closing], dtype=object), closing)
    sink.add("referrals", p=p, date=start, pathway="AOS", event=ev_start)
    sink.add("referrals", p=p, date=end, pathway="AOS", event=ev_end)
    background.add_contacts(rng, sink, P, p, start)
    background.add_weights(sink, p, start)

    # mandatory panel in the days before the start
    tests = list(cfg["panel_tests"])
    panel_day = start - rng.integers(cfg["panel_days_before"][0], cfg["panel_days_before"][1] + 1, n)
    take = np.ones((n, len(tests)), bool)
    take[:, tests.index("psa")] = pts.male[p]
    often = [tests.index(t) for t in cfg["panel_often_missing"]]
    incomplete = rng.random(n) >= cfg["panel_complete_prob"]
    k_drop = np.where(incomplete, rng.integers(1, 4, n), 0)
    rank = np.argsort(np.argsort(rng.random((n, len(often))), axis=1), axis=1)
    take[:, often] &= ~(rank < k_drop[:, None])
    row, col = np.nonzero(take)
    a = np.array([labs.index(t) for t in tests])[col]
    sink.add("lab_results", p=p[row], date=panel_day[row], a=a, mul=np.ones(len(row)), add=np.zeros(len(row)))
    background.add_contacts(rng, sink, P, p, panel_day)
    complete = take.sum(axis=1) == np.where(pts.male[p], len(tests), len(tests) - 1)
    missing = np.full(n, "", dtype=object)
    for j, t in enumerate(tests):  # a loop over the ~24 tests, not over referrals
        gone = ~take[:, j] & (pts.male[p] if t == "psa" else True)
        missing = missing + np.where(gone, t + ";", "")
    missing = np.asarray(pc.utf8_rtrim(pa.array(missing, pa.string()), characters=";").to_pylist(), dtype=object)
    return {"p": p, "pathway": np.full(n, "AOS", dtype=object), "start": start, "end": end,
            "closing": closing, "cancer": np.full(n, cancer), "panel_complete": complete,
            "panel_missing": missing}


def _other(rng, pts: Patients, sink: EventSink, p, start, end, pathway, cancer: bool) -> dict:
    n = len(p)
    closing = np.full(n, "end_cancer" if cancer else "end_dismissed", dtype=object)
    sink.add("referrals", p=p, date=start, pathway=pathway, event="start")
    sink.add("referrals", p=p, date=end, pathway=pathway, event=closing)
    return {"p": p, "pathway": pathway.astype(object), "start": start, "end": end, "closing": closing,
            "cancer": np.full(n, cancer), "panel_complete": np.zeros(n, bool),
            "panel_missing": np.full(n, "", dtype=object)}
