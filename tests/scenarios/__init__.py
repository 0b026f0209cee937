"""Scenario tests: the real app over signed HTTP against the fake Slack."""
