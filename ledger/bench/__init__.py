"""``make bench``: seed a realistic data set into PostgreSQL, measure against the budgets of issue 8,
and write the table to docs/performance.md. Programs, not tests: see ``run.py``."""
