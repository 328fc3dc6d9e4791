"""Demo data for development and benchmarks: the demo organizations and their helpdesk corpus."""
