"""KPI read side: SQL aggregates over the facts and rollups for each metric."""
