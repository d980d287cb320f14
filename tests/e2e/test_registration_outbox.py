"""What the registration wizard leaves in the outbox, read the way a client's test suite reads it
(SPEC R-REG-05/06/13, R-OUT-01): right after the request, by the address or phone it used."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import Sandbox
from tests.e2e.test_registration_wizard import (
    Operator,
    mobile_phone,
    resident_id_number,
    unique_email,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def operator(sandbox: Sandbox, unique_namespace: str) -> Operator:
    return Operator(sandbox, unique_namespace, unique_email(), mobile_phone(), resident_id_number())


class TestActivationEmail:
    @pytest.mark.rule("R-REG-05")
    def test_link_in_the_email_leads_to_this_gateway_and_activates(
        self, sandbox: Sandbox, operator: Operator
    ) -> None:
        assert operator.sign_up().status_code == 201
        link = operator.outbox_latest(operator.email, "activation")["data"]["link"]

        assert link.startswith(f"{sandbox.url}/"), link
        with httpx.Client(trust_env=False, timeout=30) as http:
            followed = http.get(link)
        assert followed.status_code == 200, followed.text
        assert followed.json()["status"] == "activated"

    @pytest.mark.rule("R-REG-06", "R-OUT-01")
    def test_resent_link_read_right_after_the_resend_activates(self, operator: Operator) -> None:
        assert operator.sign_up().status_code == 201
        for _ in range(3):
            with operator.console() as http:
                resent = http.post("/api/v1/registrations/activation-email", json={"email": operator.email})
            assert resent.status_code == 200, resent.text

            newest = operator.activation_token()  # read at once: must be the link just sent

        assert operator.activate(newest).status_code == 200


@pytest.mark.rule("R-REG-13", "R-OUT-01")
class TestSmsCode:
    def test_second_code_read_right_after_sending_is_the_one_that_works(self, operator: Operator) -> None:
        assert operator.sign_up().status_code == 201
        assert operator.activate(operator.activation_token()).status_code == 200
        operator.log_in()
        operator.choose_type("service")
        operator.sms_code()
        operator.advance_clock(minutes=2)  # past the 60-second spacing (R-REG-13)

        assert operator.submit_subject().status_code == 200  # fetches a second code for the phone

    def test_code_sent_to_a_plus_86_number_is_found_by_that_number(self, operator: Operator) -> None:
        assert operator.sign_up().status_code == 201
        assert operator.activate(operator.activation_token()).status_code == 200
        operator.log_in()
        with operator.console() as http:
            sent = http.post("/api/v1/sms-codes", json={"phone": f"+86{operator.phone}"})
        assert sent.status_code == 201, sent.text

        entry = operator.outbox_latest(f"+86{operator.phone}", "sms_code")

        assert entry["to"] == operator.phone
        assert len(entry["data"]["code"]) == 6
