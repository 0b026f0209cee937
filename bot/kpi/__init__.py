"""KPIs as a service: metrics, breakdowns, reports, charts and exports over the store's SQL
aggregates.
"""
