"""Messages waiting to be relayed to messaging's outbox (`contracts.messaging.relay`)."""

from contracts.messaging.relay import PendingMessageColumns
from services.registration.base import Base


class PendingMessage(PendingMessageColumns, Base):
    """A message for messaging's outbox, written with the state change and delivered after commit."""

    source = "registration"
