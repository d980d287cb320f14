"""X-Sandbox-Account → the account, decoded once per distinct header value."""

from __future__ import annotations

from starlette.requests import Request

from contracts.capabilities import capabilities
from contracts.registration.identity import account_from_request
from contracts.registration.schemas import AccountView, encode_account_header


def view(**changes: object) -> AccountView:
    fields: dict[str, object] = {
        "account_id": "acc_identity",
        "namespace": "ns",
        "status": "approved",
        "type": "service",
        "certified": True,
        "capabilities": capabilities("service", True, "approved"),
    }
    return AccountView.model_validate({**fields, **changes})


def request_with(header: str | None) -> Request:
    headers = [] if header is None else [(b"x-sandbox-account", header.encode())]
    return Request({"type": "http", "method": "GET", "path": "/cgi-bin/x", "headers": headers})


def header_of(account: AccountView) -> str:
    return encode_account_header(account.model_dump_json().encode())


class TestAccountFromRequest:
    def test_the_same_header_is_decoded_once(self) -> None:
        header = header_of(view())

        first = account_from_request(request_with(header))
        second = account_from_request(request_with(header))

        assert first == view()
        assert second is first

    def test_a_changed_account_is_a_different_header_and_a_fresh_view(self) -> None:
        approved = account_from_request(request_with(header_of(view())))
        terminated = account_from_request(request_with(header_of(view(status="terminated"))))

        assert approved == view()
        assert terminated == view(status="terminated")

    def test_no_header_or_a_malformed_one_is_no_account(self) -> None:
        assert account_from_request(request_with(None)) is None
        assert account_from_request(request_with("not base64 json!")) is None
        assert account_from_request(request_with(encode_account_header(b'{"account_id": 1}'))) is None
