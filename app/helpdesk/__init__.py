"""The helpdesk's data: tickets, their messages and customers, and knowledge-base articles.

One module per concept, each a set of plain async functions over an asyncpg connection. Every
statement names the organization (`org_id`) in its WHERE clause: a row of another organization is
indistinguishable from a row that does not exist. Full-text search goes through the SQL functions
`helpdesk_search_vector` / `helpdesk_search_query` defined in schema.sql.
"""
