"""Running the shop: configuration, logs, health checks, the service registry, broker accounts."""
