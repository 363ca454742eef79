"""The benchmark: the shop's order throughput against a bare Nameko baseline on the same machine."""
