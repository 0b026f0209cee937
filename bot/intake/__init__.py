"""Intake: Slack messages, edits and deletes become tickets; the inbox keeps events until they
are stored.
"""
