"""Checks kprofiler's published profiles with whylogs against the producer's exact statistics.

    check_profiles.py --stats STATS.json --dir DIR [--kafka DIR2] [--counts-only]

STATS.json is what produce_events.py wrote. DIR is the file sink's folder (every *.bin
below it is one profile; gocloud's *.attrs side files are ignored). DIR2, if given, is
what consume_topic.py wrote from the profile topic (manifest.jsonl + one file per record:
the values are whylogs v1 bytes, so whylogs reads them from those files; records that
repeat a key count once, the last one, as in a compacted topic).

For each source separately, every profile is read with whylogs.read(path).view(), put in
its group (window = the view's dataset timestamp, segment = its whylogs.tag.* metadata,
cross-checked with the window and segment in the object / record key) and merged with
DatasetProfileView.merge. Each merged group is compared with the exact statistics:

  counts/n, counts/null, types/*, distribution/n, min, max, ints/min, ints/max  exactly;
  distribution/mean and stddev                                         1e-9 relative;
  distribution quantiles (q_01 .. q_99): the true rank interval of the value is within
      the KLL normalised rank error (single-sided, k of the merged sketch) plus one item
      (1/n, the quantile definition's granularity) of the rank;
  the exact distinct count lies within the HLL's 3-sigma bounds;
  the true top-5 items of sku/user/region/device/qty/coupon are among the frequent items
      (NO_FALSE_NEGATIVES), and each true top-10 item listed has lower <= count <= upper.

Columns with nulls (NULLABLE) get every check like the others; --lenient-nullable
compares only their exact counts and types (why it once mattered: see NULLABLE). With --counts-only only counts/n (per column) is
compared. Groups missing or unexpected
are failures. Prints one line "check: {json}" (per-source figures and the first failures)
and exits 1 on any failure. Test code of the e2e suite.
"""

import argparse
import bisect
import json
import math
import os
import sys
from collections import defaultdict

os.environ.setdefault("WHYLOGS_NO_ANALYTICS", "True")

import whylogs as why  # noqa: E402
from whylogs_sketching import frequent_items_error_type, kll_doubles_sketch  # noqa: E402

QUANTILES = (("q_01", 0.01), ("q_05", 0.05), ("q_10", 0.10), ("q_25", 0.25), ("median", 0.5),
             ("q_75", 0.75), ("q_90", 0.90), ("q_95", 0.95), ("q_99", 0.99))
TOP_COLUMNS = ("sku", "user", "region", "device", "qty", "coupon")
HLL_COLUMNS = ("id", "ts", "region", "device", "user", "sku", "qty", "amount", "score", "coupon")
# Columns holding nulls. A profile column whose FIRST value is null becomes whylogs' "any"
# type (counts and types only, no distribution/cardinality/frequent items: whylogs' row
# rule, profiler.Config.NullDefersType off). The pipeline now sets NullDefersType, so a
# partial that starts with a null still gets its sketches; these columns are checked in full
# unless --lenient-nullable (see the e2e README).
NULLABLE = ("score", "coupon")
TAG = "whylogs.tag."


def rel(a: float, b: float) -> float:
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))


def key_parts(key: str):
    # <dataset>/<yyyy>/<mm>/<dd>/<HH>/<window-start-ms>/<segment>/<file>
    parts = key.split("/")
    if len(parts) < 8:
        return None, None
    return parts[-3], parts[-2]


def load(paths_and_keys, failures, label):
    groups = {}
    for path, key in paths_and_keys:
        view = why.read(path).view()
        win = int(view.dataset_timestamp.timestamp() * 1000)
        tags = sorted((k[len(TAG):], v) for k, v in (view.metadata or {}).items() if k.startswith(TAG))
        seg = ",".join(f"{k}={v}" for k, v in tags) if tags else "_all"
        kwin, kseg = key_parts(key)
        if kwin != str(win):
            failures.append(f"{label} {key}: dataset timestamp {win} is not the key's window {kwin}")
        kseg_sorted = ",".join(sorted(kseg.split(","))) if kseg and kseg != "_all" else kseg
        if kseg_sorted != seg:
            failures.append(f"{label} {key}: segment tags {seg!r} differ from the key's {kseg!r}")
        g = f"{win}|{seg}"
        groups[g] = groups[g].merge(view) if g in groups else view
    return groups


def rank_error(xs, q: float, r: float) -> float:
    lo = bisect.bisect_left(xs, q) / len(xs)
    hi = bisect.bisect_right(xs, q) / len(xs)
    if lo <= r <= hi:
        return 0.0
    return min(abs(r - lo), abs(r - hi))


def compare(groups, truth, counts_only, strict_nullable, failures, label):
    st = {"groups": len(groups), "rows": 0, "values": 0, "max_rank_err": 0.0, "max_rank_err_minus_item": -1.0, "eps": None,
          "max_mean_rel": 0.0, "max_std_rel": 0.0, "max_card_err_vs_3sigma": 0.0, "fi_checked": 0}

    def fail(msg):
        failures.append(f"{label} {msg}")

    want = set(truth["groups"])
    got = set(groups)
    for g in sorted(want - got):
        fail(f"group {g} missing")
    for g in sorted(got - want):
        fail(f"unexpected group {g}")
    for g in sorted(want & got):
        view = groups[g]
        tg = truth["groups"][g]
        summary = view.to_pandas()
        if g.endswith("|_all"):
            st["rows"] += tg["n"]
        for col, tc in sorted(tg["columns"].items()):
            if col not in summary.index:
                fail(f"{g} {col}: column missing")
                continue
            row = summary.loc[col]

            def eq(key, want_v):
                st["values"] += 1
                v = row[key]
                if v != want_v:
                    fail(f"{g} {col} {key}: whylogs reads {v}, exact {want_v}")

            eq("counts/n", tc["n"])
            if counts_only:
                continue
            eq("counts/null", tc["null"])
            eq("types/integral", tc["integral"])
            eq("types/fractional", tc["fractional"])
            eq("types/string", tc["string"])
            eq("types/boolean", tc["boolean"])
            if col in NULLABLE and not strict_nullable:
                continue
            metrics = set(view.get_column(col).get_metric_names())
            for m in ("distribution", "cardinality", "frequent_items"):
                if m == "frequent_items" and col not in TOP_COLUMNS:
                    continue
                if m not in metrics:
                    fail(f"{g} {col}: merged profile has no {m} metric (metrics {sorted(metrics)})")
            if "sorted" in tc and "distribution" in metrics:
                xs = tc["sorted"]
                eq("distribution/n", len(xs))
                eq("distribution/min", tc["min"])
                eq("distribution/max", tc["max"])
                if tc["fractional"] == 0:
                    eq("ints/min", tc["min"])
                    eq("ints/max", tc["max"])
                for key, want_v, worst in (("distribution/mean", tc["mean"], "max_mean_rel"),
                                           ("distribution/stddev", tc["stddev"], "max_std_rel")):
                    st["values"] += 1
                    d = rel(float(row[key]), want_v)
                    st[worst] = max(st[worst], d)
                    if d > 1e-9:
                        fail(f"{g} {col} {key}: whylogs reads {row[key]!r}, exact {want_v!r} (rel {d:.3g})")
                kll = view.get_column(col).get_metric("distribution").kll.value
                eps = kll_doubles_sketch.get_normalized_rank_error(kll.get_k(), False)
                st["eps"] = eps if st["eps"] is None else max(st["eps"], eps)
                for name, r in QUANTILES:
                    st["values"] += 1
                    q = float(row["distribution/" + name])
                    e = rank_error(xs, q, r)
                    st["max_rank_err"] = max(st["max_rank_err"], e)
                    st["max_rank_err_minus_item"] = max(st["max_rank_err_minus_item"], e - 1 / len(xs))
                    # eps is the sketch's error; one item (1/n) more is the quantile
                    # definition's granularity (whylogs picks the first item whose
                    # exclusive cumulative weight reaches floor(rank * n)), seen even on
                    # sketches small enough to hold every value.
                    if e > eps + 1 / len(xs):
                        fail(f"{g} {col} {name}: {q} has rank error {e:.5f} > eps {eps:.5f} + 1/n (n={len(xs)})")
            if col in HLL_COLUMNS and tc["distinct"] > 0 and "cardinality" in metrics:
                st["values"] += 1
                hll = view.get_column(col).get_metric("cardinality").hll.value
                lo, hi = hll.get_lower_bound(3), hll.get_upper_bound(3)
                d = tc["distinct"]
                if not lo <= d <= hi:
                    fail(f"{g} {col} distinct {d} outside the HLL 3-sigma bounds [{lo}, {hi}] (est {hll.get_estimate()})")
                elif hi > lo:
                    st["max_card_err_vs_3sigma"] = max(st["max_card_err_vs_3sigma"], abs(d - hll.get_estimate()) / ((hi - lo) / 2))
            if col in TOP_COLUMNS and tc["top"] and "frequent_items" in metrics:
                fi = view.get_column(col).get_metric("frequent_items").frequent_strings.value
                items = {it[0]: it for it in fi.get_frequent_items(frequent_items_error_type.NO_FALSE_NEGATIVES)}
                for i, (item, count) in enumerate(tc["top"]):
                    st["fi_checked"] += 1
                    it = items.get(item)
                    if it is None:
                        if i < 5:
                            fail(f"{g} {col}: true top item {item!r} (count {count}) not among the frequent items")
                        continue
                    _, est, lb, ub = it
                    if not lb <= count <= ub:
                        fail(f"{g} {col}: item {item!r} count {count} outside [{lb}, {ub}] (est {est})")
    return st


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stats", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--kafka")
    ap.add_argument("--counts-only", action="store_true")
    ap.add_argument("--lenient-nullable", action="store_true")
    args = ap.parse_args()
    with open(args.stats) as f:
        truth = json.load(f)
    failures = []
    out = {"expected_groups": len(truth["groups"]), "valid": truth["valid"]}

    files = []
    for root, _, names in os.walk(args.dir):
        for n in names:
            if n.endswith(".bin"):
                p = os.path.join(root, n)
                files.append((p, os.path.relpath(p, args.dir).replace(os.sep, "/")))
    files.sort()
    sources = [("files", files)]
    if args.kafka:
        recs = []
        with open(os.path.join(args.kafka, "manifest.jsonl")) as f:
            for line in f:
                m = json.loads(line)
                recs.append((os.path.join(args.kafka, m["file"]), bytes.fromhex(m["key"]).decode()))
        # A key is a profile's identity: a republished profile (at-least-once: a batch
        # retried after one sink failed) repeats its key, and readers keep one record per
        # key, as a compacted topic does. Keep the last one; count the repeats.
        by_key = {}
        extra_rows = 0
        for path, key in recs:
            if key in by_key and key_parts(key)[1] == "_all":
                # rows the replaced (earlier) full-dataset record held: the duplicates a
                # reader that does not deduplicate by key would count
                extra_rows += int(why.read(by_key[key]).view().to_pandas()["counts/n"].max())
            by_key[key] = path
        out["topic_records"] = len(recs)
        out["topic_repeated_keys"] = len(recs) - len(by_key)
        out["topic_repeated_rows"] = extra_rows
        recs = sorted(((p, k) for k, p in by_key.items()), key=lambda pk: pk[1])
        sources.append(("kafka", recs))
        fkeys = sorted(k for _, k in files)
        kkeys = sorted(by_key)
        if fkeys != kkeys:
            failures.append(f"profile keys differ: {len(set(fkeys) - set(kkeys))} only in files, "
                            f"{len(set(kkeys) - set(fkeys))} only in the topic")
    for label, pk in sources:
        groups = load(pk, failures, label)
        st = compare(groups, truth, args.counts_only, not args.lenient_nullable, failures, label)
        st["profiles"] = len(pk)
        out[label] = st
    out["failures"] = len(failures)
    out["first_failures"] = failures[:20]
    print("check: " + json.dumps(out, sort_keys=True))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
