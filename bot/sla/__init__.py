"""SLAs: which policy applies, due times kept current, the sweep that alerts, replays and what-
ifs.
"""
