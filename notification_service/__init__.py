"""The notifications service: one email to the customer per order outcome."""
