"""Great Expectations suites (JSON in expectations/) and their translation into Dagster checks."""
