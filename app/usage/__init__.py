"""What AI use costs an organization: plan quotas and rate limits reserved around each metered
call (metering), the token ledger, and the usage report read back from it (report)."""
