"""The Slack plumbing every feature shares: the app subclass and input checks, errors, leak
guard, intake pipeline, triage card.
"""
