"""KPI aggregates: SQL over tickets, messages, activity, SLA targets, surveys and suggestions.

Every function takes a Session and keyword arguments and returns plain numbers or rows;
durations are whole seconds; ranges are half-open [start, end) in UTC.
"""
