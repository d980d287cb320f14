"""Wire formats of the scheduler's control plane: the clock (SPEC §6.1, §7.1), settings and reset."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from servicekit.lifecycle import ClockEvent

ReviewPolicy = Literal["manual", "instant", "at_deadline"]

# Working days are counted one by one on the holiday calendar, so one advance takes at most this many;
# plain amounts are unbounded here: a clock that would reach 3000-01-01 is clock_out_of_range.
MAX_WORKING_DAYS = 2_500


class ClockAdvance(BaseModel):
    """`POST /_sandbox/clock/advance`: move a namespace's clock forward.

    Amounts combine: first `working_days` (same time of day on the N-th China working day after the
    current date), then `days`, `hours` and `minutes` added as a plain duration. `to` is an absolute
    target (a naive time is read as Asia/Shanghai) and cannot be combined with amounts.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    days: Annotated[float, Field(strict=True, ge=0)] | None = None
    hours: Annotated[float, Field(strict=True, ge=0)] | None = None
    minutes: Annotated[float, Field(strict=True, ge=0)] | None = None
    working_days: Annotated[int, Field(strict=True, ge=0, le=MAX_WORKING_DAYS)] | None = None
    to: datetime | None = None

    @model_validator(mode="after")
    def _one_way_to_move(self) -> Self:
        amounts = (self.days, self.hours, self.minutes, self.working_days)
        given = [a for a in amounts if a is not None]
        if not given and self.to is None:
            raise ValueError("至少给出 days、hours、minutes、working_days 或 to 之一")
        if given and self.to is not None:
            raise ValueError("to 是绝对时间，不能与 days/hours/minutes/working_days 同时使用")
        return self


class ClockState(BaseModel):
    model_config = ConfigDict(extra="ignore")

    namespace: str
    now: datetime
    frozen: bool
    offset_seconds: float


class ClockAdvanced(BaseModel):
    """The advance's interval and every time-based transition inside it, in time order (R-CLK-02)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    namespace: str
    from_: datetime = Field(alias="from")
    now: datetime
    events: list[ClockEvent] = Field(default_factory=list)


class SandboxSettings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    namespace: str
    review_policy: str


class SettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    review_policy: ReviewPolicy


class ResetDone(BaseModel):
    model_config = ConfigDict(extra="ignore")

    reset: list[str]
    clocks: Literal["real_time"] = "real_time"


# --- deregistration (SPEC §6.2): the lifecycle facts registration relays, and the schedule it reads ---

FactKind = Literal[
    "signed_up",  # data: {email}
    "activated",
    "approved",
    "login",  # an operator login (R-DER-02: only these count, not API calls)
    "terminated",  # data: {reason}
    "login_email",  # data: {email}: the login e-mail changed (R-REG-32)
    "operator_phone",  # data: {phone}: step 4's operator phone (R-REG-13)
    "admin_wechat",  # data: {wechat_id}: the administrator WeChat bound (R-DER-03)
]

# R-DER-01 / R-DER-02: the notice days of each rule; the last one is also the termination.
NOTICE_DAYS: dict[str, tuple[int, ...]] = {"R-DER-01": (60, 70, 80), "R-DER-02": (180, 190, 200, 210)}
TERMINATION_REASONS: dict[str, str] = {"R-DER-01": "registration_incomplete", "R-DER-02": "inactive"}
MAX_FACTS = 1000


class LifecycleFact(BaseModel):
    """One thing that happened to an account, as registration (its owner) recorded it.

    `fact_id` is unique: the scheduler consumes a fact once however often it arrives. `seq` orders
    facts of one producer (it breaks ties between facts of the same virtual instant); `at` is the
    virtual time it happened. Facts may arrive late, twice or out of order: the scheduler keeps the
    first sign-up, activation, approval and termination, the latest login, and the latest contact.
    """

    model_config = ConfigDict(extra="ignore")

    fact_id: str = Field(min_length=1, max_length=40)
    seq: int = 0
    account_id: str = Field(min_length=1, max_length=40)
    namespace: str = Field(min_length=1, max_length=64)
    kind: FactKind
    at: datetime
    data: dict[str, str | None] = Field(default_factory=dict)


class LifecycleFacts(BaseModel):
    model_config = ConfigDict(extra="ignore")

    facts: list[LifecycleFact] = Field(max_length=MAX_FACTS)


class FactsRecorded(BaseModel):
    accepted: int  # new facts applied now
    duplicates: int  # facts seen before (a retried delivery)


class ScheduledNotice(BaseModel):
    """A deregistration notice the scheduler has sent: day `day` of `rule`'s cycle anchored at `anchor_at`."""

    rule: str
    anchor_at: datetime
    day: int
    at: datetime


class DeregistrationSchedule(BaseModel):
    """The scheduler's view of one account (R-DER-07): every notice sent, the next due instant."""

    model_config = ConfigDict(extra="ignore")

    account_id: str
    notices: list[ScheduledNotice] = Field(default_factory=list)
    next_due_at: datetime | None = None
    terminated_at: datetime | None = None
    reason: str | None = None
