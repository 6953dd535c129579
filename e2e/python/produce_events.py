"""External event producer with exact statistics, for the pipeline scenarios of the e2e suite.

    produce_events.py --bootstrap 127.0.0.1:PORT --topic T --partitions P --count N \
        --stats STATS.json [--seed S] [--bad-ratio R] [--rate EVENTS_PER_S]

Generates N seeded records and produces them with confluent-kafka (librdkafka; idempotent,
acks=all) to partition i mod P of T, so each partition's event times never decrease.
A share R of the records (chosen by the seed) is malformed: binary garbage, JSON that is
not an object (array, number, string, null) or truncated JSON. The valid ones are events

    {"id": int, "ts": RFC 3339 ms string, "region": str, "device": str, "user": str,
     "sku": str, "qty": int, "amount": float, "score": float|null, "coupon": str|null,
     "flag": bool}

whose event times spread evenly over WINDOWS one-minute windows from 2026-03-01T00:00Z.

STATS.json receives the exact statistics the profiles must reproduce, per group: every
(window start ms, segment) with segment "device=..,region=.." (the pipeline's segment
fields, sorted) and "_all" (the full-dataset profile):

    {"events": N, "valid": V, "bad": B, "windows": [ms...], "partitions": P,
     "bad_records": [{"partition", "offset", "kind"}...],     # from the delivery reports
     "groups": {"<ms>|<segment>": {"n": rows, "columns": {col: {
         "n", "null", "integral", "fractional", "string", "boolean",       # exact counts
         "distinct",                                                      # exact, non-null
         "mean", "stddev", "min", "max", "sorted": [...],                 # numeric columns
         "top": [[item, count]...]}}}}}                                   # 10 most frequent

With --rate the producer paces itself (for scenarios that disturb the broker mid-run);
librdkafka retries through a broker outage within message.timeout.ms (300 s). Prints one
summary line; exits non-zero unless every record was acknowledged. Refuses any bootstrap
address not on 127.0.0.1.
"""

import argparse
import datetime
import json
import math
import random
import sys
import time
from collections import Counter, defaultdict

from confluent_kafka import Producer

T0 = datetime.datetime(2026, 3, 1, 0, 0, 0, tzinfo=datetime.timezone.utc)
T0_MS = int(T0.timestamp() * 1000)
WINDOW_MS = 60_000
WINDOWS = 10
REGIONS = (("north", 0.4), ("south", 0.3), ("east", 0.2), ("west", 0.1))
DEVICES = (("mobile", 0.6), ("desktop", 0.4))
COLUMNS = ("id", "ts", "region", "device", "user", "sku", "qty", "amount", "score", "coupon", "flag")
NUMERIC = ("id", "qty", "amount", "score")
TOP = 10


def pick(rng: random.Random, choices) -> str:
    x = rng.random()
    for value, p in choices:
        if x < p:
            return value
        x -= p
    return choices[-1][0]


def zipf_index(rng: random.Random, n: int, s: float) -> int:
    # Inverse-CDF draw from a bounded Zipf(s) on 0..n-1 (weights 1/(k+1)^s).
    weights = zipf_index.cache.get((n, s))
    if weights is None:
        w = [1.0 / (k + 1) ** s for k in range(n)]
        total = sum(w)
        acc, cdf = 0.0, []
        for x in w:
            acc += x / total
            cdf.append(acc)
        weights = zipf_index.cache[(n, s)] = cdf
    x = rng.random()
    lo, hi = 0, n - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if weights[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


zipf_index.cache = {}


def event(rng: random.Random, i: int, n: int) -> dict:
    ts_ms = T0_MS + (i * WINDOWS * WINDOW_MS) // n
    ts = datetime.datetime.fromtimestamp(ts_ms / 1000, tz=datetime.timezone.utc)
    amount = round(math.exp(3.0 + 0.9 * rng.gauss(0.0, 1.0)), 2)
    if amount == int(amount):  # keep every amount fractional in JSON ("12.0" would be too)
        amount += 0.01
    score = None if rng.random() < 0.05 else rng.gauss(50.0, 12.0)
    qty = 1
    while rng.random() < 0.4 and qty < 12:
        qty += 1
    return {
        "id": i,
        "ts": ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts_ms % 1000:03d}Z",
        "region": pick(rng, REGIONS),
        "device": pick(rng, DEVICES),
        "user": f"u{zipf_index(rng, 5000, 0.8):04d}",
        "sku": f"sku-{zipf_index(rng, 300, 1.1):03d}",
        "qty": qty,
        "amount": amount,
        "score": score,
        "coupon": f"SAVE{5 * (1 + rng.randrange(6))}" if rng.random() < 0.2 else None,
        "flag": rng.random() < 0.3,
    }


def bad_value(rng: random.Random, i: int) -> tuple:
    kind = ("garbage", "array", "number", "string", "null", "truncated")[rng.randrange(6)]
    if kind == "garbage":
        return kind, bytes([0x00, 0xFF, 0xFE]) + f"binary garbage {i}".encode() + bytes([0x80])
    if kind == "array":
        return kind, json.dumps([i, "not", "an", "object"]).encode()
    if kind == "number":
        return kind, str(i).encode()
    if kind == "string":
        return kind, json.dumps(f"event {i}").encode()
    if kind == "null":
        return kind, b"null"
    return kind, ('{"id": %d, "ts": "2026-03-01T00:00:00.000Z", "amount": 1' % i).encode()


class ColumnStats:
    __slots__ = ("n", "null", "integral", "fractional", "string", "boolean", "values", "numbers")

    def __init__(self):
        self.n = self.null = self.integral = self.fractional = self.string = self.boolean = 0
        self.values = Counter()
        self.numbers = []

    def add(self, v):
        self.n += 1
        if v is None:
            self.null += 1
            return
        if isinstance(v, bool):
            self.boolean += 1
            self.values["true" if v else "false"] += 1
            return
        if isinstance(v, int):
            self.integral += 1
            self.numbers.append(float(v))
            self.values[str(v)] += 1
        elif isinstance(v, float):
            self.fractional += 1
            self.numbers.append(v)
            self.values[repr(v)] += 1
        else:
            self.string += 1
            self.values[v] += 1

    def result(self, numeric: bool) -> dict:
        out = {
            "n": self.n,
            "null": self.null,
            "integral": self.integral,
            "fractional": self.fractional,
            "string": self.string,
            "boolean": self.boolean,
            "distinct": len(self.values),
            "top": sorted(self.values.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP],
        }
        if numeric and self.numbers:
            xs = sorted(self.numbers)
            m = len(xs)
            mean = math.fsum(xs) / m
            var = math.fsum((x - mean) ** 2 for x in xs) / (m - 1) if m > 1 else 0.0
            out.update({"mean": mean, "stddev": math.sqrt(var), "min": xs[0], "max": xs[-1], "sorted": xs})
        return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--partitions", type=int, required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--stats", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bad-ratio", type=float, default=0.0)
    ap.add_argument("--rate", type=float, default=0.0, help="events per second; 0: as fast as possible")
    ap.add_argument("--timeout", type=float, default=330.0)
    args = ap.parse_args()
    for addr in args.bootstrap.split(","):
        if not addr.startswith("127.0.0.1:"):
            print(f"produce_events: refusing non-loopback bootstrap {addr!r}", file=sys.stderr)
            return 2
    rng = random.Random(args.seed)
    groups = defaultdict(lambda: defaultdict(ColumnStats))
    rows = Counter()
    bad_kinds = {}
    acked = 0
    errors = []
    bad_records = []

    def on_delivery(err, msg):
        nonlocal acked
        if err is not None:
            errors.append(str(err))
            return
        acked += 1
        k = msg.key().decode()
        if k in bad_kinds:
            bad_records.append({"partition": msg.partition(), "offset": msg.offset(), "kind": bad_kinds[k]})

    p = Producer(
        {
            "bootstrap.servers": args.bootstrap,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 20,
            "client.id": "kprofiler-e2e-events",
            "message.timeout.ms": 300000,
        }
    )
    start = time.monotonic()
    valid = 0
    for i in range(args.count):
        if rng.random() < args.bad_ratio:
            kind, value = bad_value(rng, i)
            key = f"bad-{i}"
            bad_kinds[key] = kind
        else:
            ev = event(rng, i, args.count)
            value = json.dumps(ev, separators=(",", ":")).encode()
            key = f"ev-{i}"
            valid += 1
            win = T0_MS + ((i * WINDOWS * WINDOW_MS) // args.count) // WINDOW_MS * WINDOW_MS
            seg = f"device={ev['device']},region={ev['region']}"
            for g in (f"{win}|_all", f"{win}|{seg}"):
                rows[g] += 1
                cols = groups[g]
                for c in COLUMNS:
                    cols[c].add(ev[c])
        if args.rate > 0:
            ahead = start + i / args.rate - time.monotonic()
            if ahead > 0:
                p.poll(ahead)
        while True:
            try:
                p.produce(args.topic, key=key.encode(), value=value, partition=i % args.partitions, on_delivery=on_delivery)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
    left = p.flush(args.timeout)
    elapsed = time.monotonic() - start
    bad_records.sort(key=lambda r: (r["partition"], r["offset"]))
    stats = {
        "events": args.count,
        "valid": valid,
        "bad": args.count - valid,
        "partitions": args.partitions,
        "windows": sorted({int(g.split("|")[0]) for g in groups}),
        "bad_records": bad_records,
        "groups": {
            g: {"n": rows[g], "columns": {c: cs.result(c in NUMERIC) for c, cs in cols.items()}}
            for g, cols in sorted(groups.items())
        },
    }
    with open(args.stats, "w") as f:
        json.dump(stats, f, separators=(",", ":"))
    print(
        f"produce_events: topic={args.topic} sent={args.count} valid={valid} bad={args.count - valid} "
        f"acked={acked} errors={len(errors)} unflushed={left} groups={len(groups)} seconds={elapsed:.2f}"
    )
    for e in errors[:5]:
        print(f"produce_events: delivery error: {e}", file=sys.stderr)
    return 0 if acked == args.count and not errors and left == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
