"""Where the checkout is: the tests, the harness and the benchmark read its files (deployment files, the edge's
script); the services never do."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
