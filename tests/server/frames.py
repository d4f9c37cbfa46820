"""Just enough of pandas' DataFrame/Series for BentoML's descriptors (pandas is not installed).

Columns are 1-D numpy arrays. Strings live in ``object`` arrays, as in pandas.
"""
from __future__ import annotations

import numpy as np


def infer_values(values: list) -> np.ndarray:
    """What pandas infers for a column built from Python scalars (§4.2 step 3):
    any ints -> int64, floats -> float64, bools -> bool, strings -> object."""
    if not values:
        return np.array([], dtype=np.float64)
    if all(isinstance(v, (bool, np.bool_)) for v in values):
        return np.array(values, dtype=np.bool_)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        try:
            return np.array(values, dtype=np.int64)
        except OverflowError:
            return np.array(values, dtype=np.uint64)
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return np.array(values, dtype=np.float64)
    return np.array(values, dtype=object)


class Series:
    """pandas.Series stand-in: a 1-D numpy array."""

    def __init__(self, values: np.ndarray):
        self.values = np.asarray(values)

    @property
    def dtype(self) -> np.dtype:
        return self.values.dtype

    @property
    def shape(self) -> tuple:
        return self.values.shape

    def astype(self, dtype) -> "Series":
        return Series(self.values.astype(dtype))

    def tolist(self) -> list:
        return self.values.tolist()

    def __mul__(self, other):
        return Series(self.values * other)

    def __len__(self) -> int:
        return len(self.values)


class DataFrame:
    """pandas.DataFrame stand-in: ordered columns of equal length, with a string row index."""

    def __init__(self, columns: dict | None = None, index: list | None = None):
        self.data = {name: np.asarray(col) for name, col in (columns or {}).items()}
        nrows = len(next(iter(self.data.values()))) if self.data else 0
        self.index = index if index is not None else [str(i) for i in range(nrows)]

    @property
    def columns(self) -> list:
        return list(self.data)

    @property
    def shape(self) -> tuple:
        return (len(self.index), len(self.data))

    def __getitem__(self, name) -> Series:
        if isinstance(name, list):  # df[["col1"]] -> a sub-frame
            return DataFrame({n: self.data[n] for n in name}, self.index)
        return Series(self.data[name])

    def __setitem__(self, name, value):
        if isinstance(value, DataFrame):  # dfo["col1"] = df[["col1"]] takes its only column
            (value,) = value.data.values()
        self.data[name] = value.values if isinstance(value, Series) else np.asarray(value)
        if len(self.index) != len(self.data[name]):
            self.index = [str(i) for i in range(len(self.data[name]))]

    def __mul__(self, other):
        return DataFrame({n: c * other for n, c in self.data.items()}, self.index)

    def items(self):
        return ((n, Series(c)) for n, c in self.data.items())


def index_repr(names: list) -> str:
    """repr(df.columns) for string column names, e.g. ``Index(['a'], dtype='object')``."""
    return f"Index([{', '.join(repr(n) for n in names)}], dtype='object')"


def frame_from_columns(named: dict[str, list]) -> DataFrame:
    """``pd.DataFrame({name: {"0": v0, "1": v1, ...}})``: columns keyed by a string row index.

    Equal lengths keep the natural order; different lengths are aligned on the sorted union
    of the string labels (so "10" sorts before "2") and padded with NaN, like pandas.
    """
    lengths = {len(v) for v in named.values()}
    if len(lengths) <= 1:
        return DataFrame({n: infer_values(v) for n, v in named.items()})
    index = sorted({str(i) for n in lengths for i in range(n)})
    data = {}
    for name, values in named.items():
        padded = [values[int(k)] if int(k) < len(values) else None for k in index]
        col = infer_values([v for v in padded if v is not None])
        if None in padded:
            kind = col.dtype.kind
            fill = np.float64 if kind in "iuf" else object
            col = np.array([np.nan if v is None else v for v in padded], dtype=fill)
        data[name] = col
    return DataFrame(data, index)
