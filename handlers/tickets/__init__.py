"""`/ticket` and the triage card's buttons: the listeners and the command parser."""
