"""Tables of this part of the messaging schema (on services.messaging.models.Base)."""
