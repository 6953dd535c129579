"""Sanity check of the e2e venv: whylogs imports, writes a profile and reads it back.

Run by setup.sh after every venv (re)build and by run.sh. Exits non-zero on any mismatch.
whylogs' usage telemetry is switched off before the import (it would otherwise try to
reach the network) and the check fails if it is still on.
"""

import os
import sys
import tempfile

os.environ.setdefault("WHYLOGS_NO_ANALYTICS", "True")

import pandas as pd  # noqa: E402
import whylogs as why  # noqa: E402
from whylogs.api.usage_stats import _TELEMETRY_DISABLED  # noqa: E402
from whylogs.core import DatasetProfileView  # noqa: E402


def main() -> int:
    if not _TELEMETRY_DISABLED:
        print("whylogs-sanity: telemetry is not disabled", file=sys.stderr)
        return 1
    n = 1000
    df = pd.DataFrame(
        {
            "i": list(range(n)),
            "f": [x / 4.0 for x in range(n)],
            "s": [f"item-{x % 10}" for x in range(n)],
            "maybe": [None if x % 5 == 0 else x for x in range(n)],
        }
    )
    view = why.log(df).view()
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "sanity.bin")
        with open(path, "wb") as f:
            f.write(view.serialize())
        size = os.path.getsize(path)
        back = why.read(path).view()
        again = DatasetProfileView.deserialize(back.serialize())
    summary = back.to_pandas()
    problems = []

    def expect(col: str, metric: str, want: float, tol: float = 0.0) -> None:
        got = float(summary.loc[col, metric])
        if abs(got - want) > tol:
            problems.append(f"{col} {metric}: got {got}, want {want} (tol {tol})")

    for col in ("i", "f", "s", "maybe"):
        expect(col, "counts/n", n)
    expect("maybe", "counts/null", n // 5)
    expect("i", "distribution/min", 0)
    expect("i", "distribution/max", n - 1)
    expect("f", "distribution/mean", (n - 1) / 8.0, 1e-9)
    expect("i", "cardinality/est", n, n * 0.03)
    expect("s", "cardinality/est", 10, 0.5)
    if again.to_pandas()["counts/n"].to_dict() != summary["counts/n"].to_dict():
        problems.append("re-serialised profile differs in counts/n")
    if set(back.get_columns()) != {"i", "f", "s", "maybe"}:
        problems.append(f"columns: {sorted(back.get_columns())}")
    if problems:
        for p in problems:
            print("whylogs-sanity: " + p, file=sys.stderr)
        return 1
    print(f"whylogs-sanity: ok whylogs={why.__version__} pandas={pd.__version__} rows={n} profile_bytes={size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
