"""What every shop service shares, in layers, each using only those below it (``tests/unit/test_import_graph.py``):

- ``internals``: the one module that reaches into libraries' private names;
- ``vocabulary``: plain Python (errors, validation, event envelopes, clock);
- ``identity``: callers, access tokens, their keys, secrets from the environment;
- ``persistence``: the database session, model mixins, the inbox;
- ``messaging``: Nameko extensions over AMQP (entrypoints, checked event handlers, the outbox, RPC with deadlines,
  dead letters, the request context and how a trace travels with a message);
- ``observability``: metrics, where traces go, log lines;
- ``operations``: the service registry, configuration, health and metrics endpoints, the services' base classes,
  migrations, broker accounts, the edge's configuration.
"""
