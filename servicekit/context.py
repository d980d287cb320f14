"""Per-request context shared by logging, peer clients and error rendering."""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
REQUEST_ID_HEADER = "X-Request-Id"
NAMESPACE_HEADER = "X-Sandbox-Namespace"
ACCOUNT_HEADER = "X-Sandbox-Account"
ADMIN_KEY_HEADER = "X-Sandbox-Key"
