"""KPI write side: the facts and rollups kept current by triggers, and the trigger compiler."""
