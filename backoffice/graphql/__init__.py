"""The GraphQL API's shared parts: who is asking (scopes), what a query may cost (limits), the view."""
