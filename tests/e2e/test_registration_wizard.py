"""The five-step registration wizard through the gateway alone, as a client app walks it (SPEC §3, §7).

Everything a client cannot see directly (captcha answer, activation e-mail, SMS code, review decision,
the clock) comes from the control plane, exactly as a test suite of a real client app would get it.
Each test signs up in a namespace of its own, so its clock and review policy touch nobody else.
"""

from __future__ import annotations

import io
import os
import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from PIL import Image, ImageDraw

from tests.e2e.conftest import Sandbox

pytestmark = pytest.mark.e2e

PASSWORD = "Gov#2026pass"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
PHOTO_LIMIT = 2 * 1024 * 1024  # R-REG-12


# --- test data, unique per call ---


def resident_id_number() -> str:
    """A GB 11643 number of an adult from Beijing Dongcheng, computed here rather than borrowed from the
    service, so a wrong checksum rule in the service cannot agree with itself."""
    birth = date(1960, 1, 1) + timedelta(days=random.randrange(365 * 40))
    first17 = f"110101{birth:%Y%m%d}{random.randrange(1000):03d}"
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS, strict=True))
    return first17 + ID_CHECK_CHARS[total % 11]


def mobile_phone() -> str:
    return f"1{random.choice('3456789')}{random.randrange(10**9):09d}"


def unique_email() -> str:
    return f"wizard-{uuid.uuid4().hex[:12]}@example.gov.cn"


def unique_name(prefix: str = "东城发布") -> str:
    return f"{prefix}{uuid.uuid4().hex[:6]}"


def picture(fmt: str, size: tuple[int, int] = (120, 90)) -> bytes:
    """A real, decodable picture (the service verifies images by decoding, not by extension)."""
    image = Image.new("RGB", size, (230, 230, 220))
    ImageDraw.Draw(image).rectangle((10, 10, size[0] - 10, size[1] - 10), outline=(200, 0, 0), width=4)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def oversized_bmp() -> bytes:
    """A real BMP just over the 2 MB photo limit: noise, so no format could make it small."""
    width = height = 860  # 860 * 860 * 3 bytes of pixels ≈ 2.2 MB
    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="BMP")
    data = buffer.getvalue()
    assert len(data) > PHOTO_LIMIT
    return data


FILE_TYPES = {"JPEG": ("jpg", "image/jpeg"), "GIF": ("gif", "image/gif"), "BMP": ("bmp", "image/bmp")}


def upload(field: str, fmt: str, data: bytes | None = None) -> tuple[str, tuple[str, bytes, str]]:
    extension, content_type = FILE_TYPES[fmt]
    return field, (f"{field}.{extension}", data if data is not None else picture(fmt), content_type)


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- the client app ---


@dataclass
class Operator:
    """One operator walking the wizard through the gateway, in its own namespace."""

    sandbox: Sandbox
    namespace: str
    email: str
    phone: str
    id_number: str
    account_id: str = ""
    token: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def console(self) -> httpx.Client:
        # The namespace header matters at sign-up (R-CLK-01); later the account carries its namespace.
        return self.sandbox.client(headers={"X-Sandbox-Namespace": self.namespace, **self.headers})

    def admin(self, **kwargs: Any) -> httpx.Client:
        return self.sandbox.admin(self.namespace, **kwargs)

    def outbox_latest(self, to: str, kind: str) -> dict[str, Any]:
        with self.admin() as admin:
            response = admin.get("/_sandbox/outbox/latest", params={"to": to, "kind": kind, "wait": 5})
        assert response.status_code == 200, response.text
        entry: dict[str, Any] = response.json()
        return entry

    def sign_up(self) -> httpx.Response:
        with self.console() as http:
            created = http.post("/api/v1/captchas")
            assert created.status_code == 201, created.text
            captcha_id = created.json()["captcha_id"]
            with self.admin() as admin:
                answer = admin.get(f"/_sandbox/captchas/{captcha_id}").json()["answer"]
            response = http.post(
                "/api/v1/registrations",
                json={
                    "email": self.email,
                    "password": PASSWORD,
                    "captcha_id": captcha_id,
                    "captcha_answer": answer,
                    "agreement_accepted": True,
                },
            )
        if response.status_code == 201:
            self.account_id = response.json()["account_id"]
        return response

    def activation_token(self) -> str:
        entry = self.outbox_latest(self.email, "activation")
        assert entry["channel"] == "email"
        token: str = entry["data"]["token"]
        assert parse_qs(urlsplit(entry["data"]["link"]).query)["token"] == [token]
        return token

    def activate(self, token: str) -> httpx.Response:
        with self.console() as http:
            return http.post("/api/v1/registrations/activation", json={"token": token})

    def log_in(self) -> None:
        with self.console() as http:
            response = http.post("/api/v1/sessions", json={"email": self.email, "password": PASSWORD})
        assert response.status_code == 201, response.text
        self.token = response.json()["token"]

    def choose_type(self, account_type: str) -> None:
        with self.console() as http:
            response = http.put("/api/v1/account/type", json={"type": account_type})
        assert response.status_code == 200, response.text

    def sms_code(self) -> str:
        with self.console() as http:
            response = http.post("/api/v1/sms-codes", json={"phone": self.phone})
        assert response.status_code == 201, response.text
        entry = self.outbox_latest(self.phone, "sms_code")
        assert entry["channel"] == "sms"
        code: str = entry["data"]["code"]
        return code

    def submit_subject(
        self, letter: str = "JPEG", photo: str = "GIF", photo_data: bytes | None = None
    ) -> httpx.Response:
        form = {
            "subject_type": "government",
            "government_name": "北京市东城区人民政府办公室",
            "operator_name": "李·明",
            "operator_id_number": self.id_number,
            "operator_phone": self.phone,
            "sms_code": self.sms_code(),
        }
        files = [upload("authorization_letter", letter), upload("operator_photo", photo, photo_data)]
        with self.console() as http:
            return http.put("/api/v1/account/subject", data=form, files=files)

    def submit_profile(self, name: str) -> dict[str, Any]:
        response = self.try_profile(name)
        assert response.status_code == 200, response.text
        submitted: dict[str, Any] = response.json()
        return submitted

    def try_profile(self, name: str) -> httpx.Response:
        body = {
            "name": name,
            "intro": "北京市东城区政务信息发布",
            "region": {"country": "CN", "province": "北京", "city": "东城区"},
            "language": "zh_CN",
        }
        with self.console() as http:
            return http.put("/api/v1/account/profile", json=body)

    def account(self) -> dict[str, Any]:
        with self.console() as http:
            response = http.get("/api/v1/account")
        assert response.status_code == 200, response.text
        view: dict[str, Any] = response.json()
        return view

    def set_review_policy(self, policy: str) -> None:
        with self.admin() as admin:
            response = admin.put("/_sandbox/settings", json={"review_policy": policy})
        assert response.status_code == 200, response.text
        assert response.json()["review_policy"] == policy

    def pending_review_id(self) -> str:
        with self.admin() as admin:
            response = admin.get("/_sandbox/reviews", params={"kind": "registration", "status": "pending"})
        assert response.status_code == 200, response.text
        mine = [r for r in response.json()["items"] if r["account_id"] == self.account_id]
        assert len(mine) == 1, mine
        review_id: str = mine[0]["review_id"]
        return review_id

    def advance_clock(self, **delta: int) -> dict[str, Any]:
        with self.admin(timeout=120) as admin:
            response = admin.post("/_sandbox/clock/advance", json=delta)
        assert response.status_code == 200, response.text
        advanced: dict[str, Any] = response.json()
        return advanced

    def walk_to_review(
        self, *, letter: str = "JPEG", photo: str = "GIF", name: str | None = None
    ) -> dict[str, Any]:
        """Steps 1–5 up to `in_review`; returns the step-5 answer."""
        assert self.sign_up().status_code == 201
        assert self.activate(self.activation_token()).status_code == 200
        self.log_in()
        self.choose_type("service")
        subject = self.submit_subject(letter, photo)
        assert subject.status_code == 200, subject.text
        return self.submit_profile(name or unique_name())


@pytest.fixture
def operator(sandbox: Sandbox, unique_namespace: str) -> Operator:
    return Operator(sandbox, unique_namespace, unique_email(), mobile_phone(), resident_id_number())


def token_and_callback_ips(sandbox: Sandbox, appid: str, secret: str) -> list[str]:
    with sandbox.client() as http:
        issued = http.get(
            "/cgi-bin/token", params={"grant_type": "client_credential", "appid": appid, "secret": secret}
        ).json()
        assert issued["expires_in"] == 7200, issued
        ips = http.get("/cgi-bin/getcallbackip", params={"access_token": issued["access_token"]}).json()
    assert "errcode" not in ips or ips["errcode"] == 0, ips
    ip_list: list[str] = ips["ip_list"]
    return ip_list


class TestWizardApproval:
    @pytest.mark.rule("R-REG-18", "R-REG-30", "R-TOK-01")
    def test_manual_approval_gives_an_appid_whose_reset_secret_gets_a_working_token(
        self, sandbox: Sandbox, operator: Operator
    ) -> None:
        operator.set_review_policy("manual")
        submitted = operator.walk_to_review(letter="JPEG", photo="GIF")

        assert submitted["status"] == "in_review"
        deadline = parse_time(submitted["review"]["deadline"])
        view = operator.account()
        assert (view["status"], view["appid"], view["namespace"]) == ("in_review", None, operator.namespace)
        assert view["subject"]["authorization_letter"]["format"] in ("jpeg", "jpg")
        assert view["subject"]["operator_photo"]["format"] == "gif"
        # R-REG-18: end of the 7th working day after submission — never under a week, never absurdly far.
        submitted_at = parse_time(view["review"]["submitted_at"])
        assert timedelta(days=7) <= deadline - submitted_at <= timedelta(days=30)

        with operator.admin() as admin:
            approved = admin.post(f"/_sandbox/reviews/{operator.pending_review_id()}/approve")
        assert approved.status_code == 200, approved.text

        view = operator.account()
        assert view["status"] == "approved"
        assert view["appid"].startswith("wx")
        assert len(view["appid"]) == 18
        assert view["original_id"].startswith("gh_")
        with operator.console() as http:
            reset = http.post("/api/v1/account/developer/secret")
        assert reset.status_code == 200, reset.text
        assert reset.json()["appid"] == view["appid"]
        assert token_and_callback_ips(sandbox, view["appid"], reset.json()["secret"])

    @pytest.mark.rule("R-CLK-02")
    def test_at_deadline_policy_approves_when_the_clock_passes_eight_working_days(
        self, operator: Operator
    ) -> None:
        operator.set_review_policy("at_deadline")
        submitted = operator.walk_to_review(letter="JPEG", photo="BMP")
        assert operator.account()["subject"]["operator_photo"]["format"] == "bmp"

        advanced = operator.advance_clock(working_days=8)

        approvals = [
            e
            for e in advanced["events"]
            if e["kind"] == "registration_approved" and e["account_id"] == operator.account_id
        ]
        assert len(approvals) == 1, advanced["events"]
        assert parse_time(approvals[0]["at"]) >= parse_time(submitted["review"]["deadline"])
        operator.log_in()  # R-REG-21: the session did not survive eight working days
        view = operator.account()
        assert view["status"] == "approved"
        assert view["appid"].startswith("wx")
        assert view["review"]["status"] == "approved"


@pytest.mark.rule("R-REG-15", "R-REG-31")
class TestWizardRejection:
    def test_rejection_reason_reaches_the_operator_and_resubmission_opens_a_new_review(
        self, operator: Operator
    ) -> None:
        operator.set_review_policy("manual")
        operator.walk_to_review(letter="GIF", photo="BMP")
        first_review = operator.pending_review_id()
        reason = "授权运营书未加盖公章"

        with operator.admin() as admin:
            rejected = admin.post(f"/_sandbox/reviews/{first_review}/reject", json={"reason": reason})
        assert rejected.status_code == 200, rejected.text

        view = operator.account()
        assert (view["status"], view["review"]["status"], view["review"]["reason"]) == (
            "rejected",
            "rejected",
            reason,
        )
        notice = operator.outbox_latest(operator.account_id, "registration_rejected")
        assert reason in notice["body"]

        # R-REG-31: fix step 4 (a new letter) and step 5 (the name may change only now), then resubmit;
        # the namespace's clock moves past the 60-second SMS spacing (R-REG-13) instead of sleeping.
        operator.advance_clock(minutes=2)
        assert operator.submit_subject("JPEG", "GIF").status_code == 200
        new_name = unique_name("东城政务")
        resubmitted = operator.submit_profile(new_name)

        assert resubmitted["status"] == "in_review"
        assert resubmitted["review"]["review_id"] != first_review
        view = operator.account()
        assert (view["status"], view["review"]["reason"], view["profile"]["name"]) == (
            "in_review",
            None,
            new_name,
        )
        assert operator.pending_review_id() == resubmitted["review"]["review_id"]


class TestWizardRefusals:
    @pytest.mark.rule("R-REG-12")
    def test_photo_over_two_megabytes_is_refused_with_413_through_the_gateway(
        self, operator: Operator
    ) -> None:
        assert operator.sign_up().status_code == 201
        assert operator.activate(operator.activation_token()).status_code == 200
        operator.log_in()
        operator.choose_type("subscription")

        refused = operator.submit_subject("JPEG", "BMP", photo_data=oversized_bmp())

        assert refused.status_code == 413, refused.text
        assert refused.json()["error"]["field"] == "operator_photo"
        view = operator.account()
        assert (view["step"], view["subject"]["submitted_at"], view["subject"]["operator_photo"]) == (
            4,
            None,
            None,
        )

    @pytest.mark.rule("R-REG-06", "R-CLK-02")
    def test_activation_link_is_gone_after_49_hours_and_the_email_is_free_again(
        self, operator: Operator
    ) -> None:
        assert operator.sign_up().status_code == 201
        token = operator.activation_token()

        advanced = operator.advance_clock(hours=49)

        expiries = [
            e
            for e in advanced["events"]
            if e["kind"] == "activation_expired" and e["account_id"] == operator.account_id
        ]
        assert len(expiries) == 1, advanced["events"]
        gone = operator.activate(token)
        assert gone.status_code == 410, gone.text
        assert gone.json()["error"]["code"] == "activation_expired"
        with operator.console() as http:
            login = http.post("/api/v1/sessions", json={"email": operator.email, "password": PASSWORD})
        assert login.status_code in (403, 410), login.text
        # R-REG-06: the expired record no longer blocks the e-mail.
        again = operator.sign_up()
        assert again.status_code == 201, again.text

    @pytest.mark.rule("R-REG-16", "R-CER-04")
    def test_name_of_a_certified_account_is_refused_at_step_five(self, operator: Operator) -> None:
        name = unique_name("东城公安")
        with operator.admin() as admin:
            holder = admin.post(
                "/_sandbox/accounts", json={"type": "service", "certified": True, "name": name}
            )
        assert holder.status_code == 201, holder.text
        assert operator.sign_up().status_code == 201
        assert operator.activate(operator.activation_token()).status_code == 200
        operator.log_in()
        operator.choose_type("service")
        assert operator.submit_subject("JPEG", "GIF").status_code == 200

        refused = operator.try_profile(name)

        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "certified_name_taken"
        assert operator.account()["status"] == "activated"
