"""The reports app's part of the GraphQL API (scope ``reports:read``): ``metrics``, one metric's daily values
for a period from the daily rollups (broken down by a dimension, filtered by the others), and
``metricDefinitions``. Registered in ``GRAPHQL_QUERY_MIXINS``.
"""

from reports.schema.queries import ReportsQueries

__all__ = ["ReportsQueries"]
