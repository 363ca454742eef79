"""What every service speaks, plain Python: error families, the event envelope, time, validation, changes, lines."""
