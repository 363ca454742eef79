"""What withholding credentials and card numbers costs a log line: CPU per line of ``without_credentials``.

    python -m bench.log_line_step [--lines 2000]

The line is one as nameko-tracer's formatter writes for a worker (about 2.3 KB of JSON with some 300 runs of
digits: ids, times, quantities, prices), none of them a card number. Prints one JSON line. Run against two
versions of the code, in turn, to pair them.
"""

import argparse
import json
import time
import uuid

from shop_common.observability.log_format import without_credentials


def trace_line():
    items = [{"sku": f"SKU-{n}", "quantity": n, "unit_price": "12.50"} for n in range(20)]
    return json.dumps(
        {
            "time": "2026-12-06T23:38:16.123456+00:00",
            "call_args": {"order": {"items": items}},
            "call_ids": [str(uuid.UUID(int=n * 7919)) for n in range(20)],
            "positions": list(range(60)),
        }
    )


def line_cpu(lines):
    line = trace_line()
    started = time.process_time()
    for _ in range(lines):
        without_credentials(line)
    return {"line_chars": len(line), "us_per_line": round((time.process_time() - started) / lines * 1e6, 1)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=2000)
    print(json.dumps(line_cpu(parser.parse_args().lines)))
