"""Nameko extensions over AMQP: entrypoints, checked event handlers, set-aside messages and dead letters, the outbox,
the request context."""
