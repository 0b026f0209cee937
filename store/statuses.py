"""What "live" and "done" mean for a ticket's status: the one definition everyone uses.

A ticket is LIVE while the desk still owes the customer something: new (nobody holds
it), open (an agent holds it) or pending (waiting on the customer, but not finished).
It is DONE once resolved or closed; a customer reply reopens it (live again).

A merged ticket is closed when it is folded into another (its thread lives on in the
ticket `merged_into_id` points at), so it is DONE and never counted twice; queries for
live conversations also test `merged_into_id IS NULL`, as a merge and a reopen can race.
"""

from store.models import TicketStatus

LIVE = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)
DONE = (TicketStatus.RESOLVED, TicketStatus.CLOSED)
