"""The API catalog: what the registry declares, described for people and for other programs.

From the one registry (`app.registry`) it derives the TypeScript package `helpdesk-ai-client`
(`clients/typescript/`), the reference `docs/api.md`, and the JSON description served at
`GET /api/schema.json`. Nothing here is written by hand per procedure except the summaries of
procedures whose handler has no docstring (`app.catalog.summaries`).
"""
