"""External producer for the end-to-end suite: confluent-kafka (librdkafka) writes JSON.

    produce_json.py --bootstrap 127.0.0.1:PORT --topic T --count N

Record i has key str(i) and value {"id": i, "user": "user-<i mod 97>", "amount": i * 0.25,
"tag": ["red", "green", "blue"][i mod 3], "even": i is even}; the Go test recomputes the
same values to check what it reads. Prints one summary line; exits non-zero if any record
was not acknowledged by the broker. Refuses any bootstrap address not on 127.0.0.1.
"""

import argparse
import json
import sys
import time

from confluent_kafka import Producer

TAGS = ("red", "green", "blue")


def record(i: int) -> dict:
    return {"id": i, "user": f"user-{i % 97}", "amount": i * 0.25, "tag": TAGS[i % 3], "even": i % 2 == 0}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--timeout", type=float, default=60.0)
    args = ap.parse_args()
    for addr in args.bootstrap.split(","):
        if not addr.startswith("127.0.0.1:"):
            print(f"produce_json: refusing non-loopback bootstrap {addr!r}", file=sys.stderr)
            return 2

    acked = 0
    errors = []

    def on_delivery(err, msg):
        nonlocal acked
        if err is not None:
            errors.append(str(err))
        else:
            acked += 1

    p = Producer(
        {
            "bootstrap.servers": args.bootstrap,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 5,
            "client.id": "kprofiler-e2e-python",
        }
    )
    start = time.monotonic()
    for i in range(args.count):
        value = json.dumps(record(i), separators=(",", ":")).encode()
        while True:
            try:
                p.produce(args.topic, key=str(i).encode(), value=value, on_delivery=on_delivery)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
    left = p.flush(args.timeout)
    elapsed = time.monotonic() - start
    print(
        f"produce_json: topic={args.topic} sent={args.count} acked={acked} errors={len(errors)} "
        f"unflushed={left} seconds={elapsed:.2f}"
    )
    for e in errors[:5]:
        print(f"produce_json: delivery error: {e}", file=sys.stderr)
    return 0 if acked == args.count and not errors and left == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
