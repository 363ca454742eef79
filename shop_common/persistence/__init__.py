"""PostgreSQL for every service: the injected session, model mixins and the inbox."""
