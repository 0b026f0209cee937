"""Routing: agent availability, auto-assignment of new tickets, and claim timeouts."""
