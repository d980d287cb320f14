"""Messages waiting to be relayed to messaging's outbox (`contracts.messaging.relay`)."""

from contracts.messaging.relay import PendingMessageColumns
from services.certification.base import Base


class PendingMessage(PendingMessageColumns, Base):
    """A notice for messaging's outbox, written with the decision or transition that causes it."""

    source = "certification"
