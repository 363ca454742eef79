"""Running the shop: the service registry, configuration, the services' base classes, health and metrics endpoints,
migrations, broker accounts, the edge's configuration."""
