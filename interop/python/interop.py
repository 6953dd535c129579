"""Python side of kprofiler's whylogs interop suite (test code; run by interop_test.go).

Subcommands (all output is JSON on stdout):

  gen DIR SEED ROWS
      Generates a seeded data set, writes it to DIR/data.csv (the Go side
      profiles the same rows), and profiles it with whylogs:
        DIR/py_whole.bin         all rows, plain profile
        DIR/py_half2.bin         rows ROWS//2 .. ROWS-1, plain profile
        DIR/py_seg_<region>.bin  all rows segmented on column "region"
      Prints {"files": {...}, "names": {...}, "rows": ROWS}; names are
      whylogs' default file names of the whole and segment profiles.

  summarize FILE...
      Reads each profile with whylogs.read(path).view() and prints
      {path: {"columns": {column: {summary key: value}}, "metadata": {...},
              "dataset_timestamp": ms, "creation_timestamp": ms}}
      from DatasetProfileView.to_pandas(). NaN is "NaN", infinities
      "Infinity"/"-Infinity", None null; frequent items are lists of
      {"value","est","lower","upper"}.
"""

import csv
import datetime
import json
import math
import os
import sys

os.environ.setdefault("WHYLOGS_NO_ANALYTICS", "True")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import whylogs as why  # noqa: E402
from whylogs.core.schema import DatasetSchema  # noqa: E402
from whylogs.core.segmentation_partition import segment_on_column  # noqa: E402

DATASET_TS = datetime.datetime(2025, 6, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)
NAME = "interop"
COLUMNS = ["id", "age", "score", "ratio", "price", "category", "region", "flag", "user"]


def make_frame(seed: int, rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    score = rng.normal(50.0, 12.0, rows)
    score[rng.random(rows) < 0.03] = np.nan
    ratio = rng.standard_cauchy(rows)
    ratio[rng.random(rows) < 0.01] = np.inf
    ratio[rng.random(rows) < 0.005] = -np.inf
    cats = np.array(["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"])
    cat = cats[rng.choice(8, rows, p=[0.3, 0.2, 0.15, 0.1, 0.1, 0.08, 0.05, 0.02])].astype(object)
    cat[rng.random(rows) < 0.05] = None
    return pd.DataFrame(
        {
            "id": np.arange(rows, dtype=np.int64),
            "age": rng.integers(18, 91, rows, dtype=np.int64),
            "score": score,
            "ratio": ratio,
            "price": np.round(rng.lognormal(3.0, 1.0, rows), 2),
            "category": cat,
            "region": np.array(["north", "south", "west"])[rng.choice(3, rows, p=[0.5, 0.3, 0.2])].astype(object),
            "flag": rng.random(rows) < 0.4,
            "user": np.array([f"user_{i:04d}" for i in rng.integers(0, 3000, rows)], dtype=object),
        }
    )


def write_csv(df: pd.DataFrame, path: str) -> None:
    # repr() of a float round-trips exactly; nan/inf/-inf are parsed by Go's
    # strconv.ParseFloat; an empty cell is None.
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        for row in df.itertuples(index=False):
            out = []
            for v in row:
                if v is None:
                    out.append("")
                elif isinstance(v, (bool, np.bool_)):
                    out.append("True" if v else "False")
                elif isinstance(v, (float, np.floating)):
                    out.append(repr(float(v)))
                else:
                    out.append(str(v))
            w.writerow(out)


def gen(out_dir: str, seed: int, rows: int) -> dict:
    df = make_frame(seed, rows)
    write_csv(df, os.path.join(out_dir, "data.csv"))
    files = {}
    names = {}  # whylogs' default file names (_get_default_filename)

    whole = why.log(df, name=NAME, dataset_timestamp=DATASET_TS).view()
    files["whole"] = os.path.join(out_dir, "py_whole.bin")
    whole.write(files["whole"])
    names["whole"] = whole._get_default_filename()

    half = why.log(df.iloc[rows // 2 :].reset_index(drop=True), name=NAME, dataset_timestamp=DATASET_TS).view()
    files["half2"] = os.path.join(out_dir, "py_half2.bin")
    half.write(files["half2"])

    results = why.log(df, schema=DatasetSchema(segments=segment_on_column("region")), name=NAME, dataset_timestamp=DATASET_TS)
    for w in results.get_writables():
        region = w.segment.key[0]
        path = os.path.join(out_dir, f"py_seg_{region}.bin")
        ok, _ = w.write(path)
        if not ok:
            raise RuntimeError(f"writing {path} failed")
        files[f"seg_{region}"] = path
        names[f"seg_{region}"] = w._get_default_filename()
    return {"files": files, "names": names, "rows": rows}


def jsonable(v):
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f):
            return "NaN"
        if math.isinf(f):
            return "Infinity" if f > 0 else "-Infinity"
        return f
    if isinstance(v, (list, tuple)):
        out = []
        for it in v:
            if hasattr(it, "value") and hasattr(it, "est"):
                out.append({"value": it.value, "est": int(it.est), "lower": int(it.lower), "upper": int(it.upper)})
            else:
                out.append(jsonable(it))
        return out
    return str(v)


def summarize(paths) -> dict:
    out = {}
    for path in paths:
        view = why.read(path).view()
        df = view.to_pandas()
        cols = {}
        for col, row in df.iterrows():
            cols[str(col)] = {k: jsonable(v) for k, v in row.items() if "/" in str(k)}
        out[path] = {
            "columns": cols,
            "metadata": {str(k): str(v) for k, v in (view.metadata or {}).items()},
            "dataset_timestamp": int(view.dataset_timestamp.timestamp() * 1000),
            "creation_timestamp": int(view.creation_timestamp.timestamp() * 1000),
        }
    return out


def main(argv) -> int:
    if len(argv) >= 4 and argv[0] == "gen":
        res = gen(argv[1], int(argv[2]), int(argv[3]))
    elif len(argv) >= 2 and argv[0] == "summarize":
        res = summarize(argv[1:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    json.dump(res, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
