"""The AI product on top of the helpdesk data: which engine answers for an organization, its AI
settings, ticket and article embeddings kept fresh in the background, and the reads the ai.*
procedures share."""
