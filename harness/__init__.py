"""The harness the tests and the benchmark share: real brokers, databases, SMTP server and service processes."""
