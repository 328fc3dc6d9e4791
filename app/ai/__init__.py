"""The AI engine: one interface, a litellm engine and an offline local engine."""
