"""Talking to Slack's Web API: the pooled, retrying client and its keep-alive connection pool."""
