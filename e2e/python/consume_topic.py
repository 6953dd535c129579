"""External reader for the end-to-end suite: confluent-kafka (librdkafka) reads a topic.

    consume_topic.py --bootstrap 127.0.0.1:PORT --topic T --count N --out DIR

Reads the topic from the beginning (a fresh group, no commits) until N records arrived,
then one more second to catch extras. Writes every value to DIR/p<partition>-o<offset>.bin
and one JSON line per record to DIR/manifest.jsonl (partition, offset, key in hex, value
length and sha256), so a test can compare bytes exactly or hand the files to whylogs.
Prints one summary line; exits non-zero on a consumer error or when fewer than N arrived
before --timeout. Refuses any bootstrap address not on 127.0.0.1.
"""

import argparse
import hashlib
import json
import os
import sys
import time
import uuid

from confluent_kafka import Consumer, KafkaError


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--grace", type=float, default=1.0)
    args = ap.parse_args()
    for addr in args.bootstrap.split(","):
        if not addr.startswith("127.0.0.1:"):
            print(f"consume_topic: refusing non-loopback bootstrap {addr!r}", file=sys.stderr)
            return 2
    os.makedirs(args.out, exist_ok=True)
    c = Consumer(
        {
            "bootstrap.servers": args.bootstrap,
            "group.id": f"kprofiler-e2e-reader-{uuid.uuid4()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "client.id": "kprofiler-e2e-python-reader",
        }
    )
    c.subscribe([args.topic])
    got = 0
    deadline = time.monotonic() + args.timeout
    grace_end = None
    with open(os.path.join(args.out, "manifest.jsonl"), "w") as manifest:
        while True:
            now = time.monotonic()
            if grace_end is None and got >= args.count:
                grace_end = now + args.grace
            if grace_end is not None and now >= grace_end:
                break
            if grace_end is None and now >= deadline:
                break
            msg = c.poll(0.2)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    continue
                print(f"consume_topic: error: {msg.error()}", file=sys.stderr)
                c.close()
                return 1
            value = msg.value() or b""
            key = msg.key() or b""
            name = f"p{msg.partition()}-o{msg.offset()}.bin"
            with open(os.path.join(args.out, name), "wb") as f:
                f.write(value)
            manifest.write(
                json.dumps(
                    {
                        "partition": msg.partition(),
                        "offset": msg.offset(),
                        "key": key.hex(),
                        "len": len(value),
                        "sha256": hashlib.sha256(value).hexdigest(),
                        "file": name,
                    }
                )
                + "\n"
            )
            got += 1
    c.close()
    print(f"consume_topic: topic={args.topic} want={args.count} got={got}")
    return 0 if got >= args.count else 1


if __name__ == "__main__":
    sys.exit(main())
