"""`deskbot demo`: the whole product offline against the fake Slack (the only production user
of fakeslack).
"""
