"""Pure Block Kit builders: data in, blocks out; no Slack calls, no database."""
