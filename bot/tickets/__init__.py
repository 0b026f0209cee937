"""Working tickets: the workflow (claim, assign, resolve ...), annotations, merges and likely
duplicates.
"""
