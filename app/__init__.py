"""helpdesk-ai: AI features for a helpdesk web app over the tRPC wire protocol."""

__version__ = "0.1.0"
