"""Accounts and sessions: password hashing, session cookies, API keys, login throttling."""
