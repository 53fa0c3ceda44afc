"""Small vectorized helpers the simulation uses everywhere."""

from __future__ import annotations

import zlib

import numpy as np

from demo_world.params import T0, T_END, WINDOW_START


def rng_for(seed: int, component: str) -> np.random.Generator:
    """An independent random stream per component, so adding one never shifts the others."""
    return np.random.default_rng([seed, zlib.crc32(component.encode())])


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def choice(rng: np.random.Generator, weights, size: int) -> np.ndarray:
    """Indices drawn with the given weights (normalized here)."""
    w = np.asarray(weights, dtype=float)
    return rng.choice(len(w), size=size, p=w / w.sum())


def rank_within(group: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each run of equal values of a sorted group array."""
    n = len(group)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(group[1:] != group[:-1]) + 1]
    lengths = np.diff(np.r_[starts, n])
    return np.arange(n) - np.repeat(starts, lengths)


def group_first(group: np.ndarray, values: np.ndarray, n_groups: int, fill) -> np.ndarray:
    """Per group, the value on its first row (rows sorted by group then order); fill if none."""
    out = np.full(n_groups, fill, dtype=np.asarray(values).dtype if fill is not None else object)
    if len(group):
        first = rank_within(group) == 0
        out[group[first]] = values[first]
    return out


def count_in_windows(keys: np.ndarray, times: np.ndarray, q_keys: np.ndarray,
                     lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """For each query, how many events of its key fall in [lo, hi).

    `keys`/`times` describe events; they are sorted here by (key, time) in one int64 code.
    """
    span = np.int64(1) << 32
    codes = np.sort(keys.astype(np.int64) * span + (times - T0 + (1 << 30)))
    q = q_keys.astype(np.int64) * span
    lo_c = q + (np.asarray(lo, dtype=np.int64) - T0 + (1 << 30))
    hi_c = q + (np.asarray(hi, dtype=np.int64) - T0 + (1 << 30))
    return np.searchsorted(codes, hi_c, "left") - np.searchsorted(codes, lo_c, "left")


def month_starts() -> np.ndarray:
    """Epoch seconds of each month start in the window, plus the window end."""
    months = np.arange(
        np.datetime64(WINDOW_START.strftime("%Y-%m"), "M"),
        np.datetime64(WINDOW_START.strftime("%Y-%m"), "M") + 25,
    )
    return months.astype("datetime64[s]").astype(np.int64)


def month_index(t: np.ndarray) -> np.ndarray:
    """0-based month of the window for each timestamp (clipped into the window)."""
    return np.clip(np.searchsorted(month_starts(), t, "right") - 1, 0, 23)


def clip_time(t: np.ndarray) -> np.ndarray:
    return np.clip(t, T0, T_END - 1)
