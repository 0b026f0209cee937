"""`/kpi` in Slack: the listeners, the command parser and file delivery."""
