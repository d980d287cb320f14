"""SPEC §5.4 — capabilities by account type and certification. The one definition, used everywhere."""

from __future__ import annotations

from enum import StrEnum


class Capability(StrEnum):
    CHAT_LIST_MESSAGES = "chat_list_messages"
    SUBSCRIPTION_FOLDER_MESSAGES = "subscription_folder_messages"
    MASS_SEND = "mass_send"
    PASSIVE_REPLY = "passive_reply"
    CUSTOM_MENU = "custom_menu"
    ADVANCED_INTERFACES = "advanced_interfaces"
    WECHAT_PAY = "wechat_pay"


SUBSCRIPTION = "subscription"
SERVICE = "service"

# (type, certified) → capabilities, exactly the FAQ 9 table.
MATRIX: dict[tuple[str, bool], frozenset[Capability]] = {
    (SUBSCRIPTION, False): frozenset(
        {Capability.SUBSCRIPTION_FOLDER_MESSAGES, Capability.MASS_SEND, Capability.PASSIVE_REPLY}
    ),
    (SUBSCRIPTION, True): frozenset(
        {
            Capability.SUBSCRIPTION_FOLDER_MESSAGES,
            Capability.MASS_SEND,
            Capability.PASSIVE_REPLY,
            Capability.CUSTOM_MENU,
        }
    ),
    (SERVICE, False): frozenset(
        {
            Capability.CHAT_LIST_MESSAGES,
            Capability.MASS_SEND,
            Capability.PASSIVE_REPLY,
            Capability.CUSTOM_MENU,
        }
    ),
    (SERVICE, True): frozenset(
        {
            Capability.CHAT_LIST_MESSAGES,
            Capability.MASS_SEND,
            Capability.PASSIVE_REPLY,
            Capability.CUSTOM_MENU,
            Capability.ADVANCED_INTERFACES,
            Capability.WECHAT_PAY,
        }
    ),
}

# Mass-send quota (R-MSG-23): how many sends per calendar period, Asia/Shanghai.
MASS_SEND_QUOTA: dict[str, tuple[int, str]] = {SUBSCRIPTION: (1, "day"), SERVICE: (4, "month")}

# The nine advanced interfaces (FAQ 9) as /cgi-bin path prefixes: customer-service messages, QR codes
# with parameters, user info / follower list, user grouping (tags), media upload/download, speech
# recognition (OAuth web authorization and user location have no /cgi-bin path here). Permanent
# materials (material/*) and the mass-send helpers (media/uploadnews|uploadvideo|uploadimg) are not
# among them: the helpers follow the mass-send rule (R-MSG-25, certification) instead.
ADVANCED_INTERFACE_PATHS: tuple[str, ...] = (
    "/cgi-bin/message/custom/",
    "/cgi-bin/customservice/",
    "/cgi-bin/qrcode/",
    "/cgi-bin/user/",
    "/cgi-bin/tags/",
    "/cgi-bin/groups/",
    "/cgi-bin/media/upload",
    "/cgi-bin/media/get",
    "/cgi-bin/media/voice/",
)
MASS_SEND_HELPER_PATHS: tuple[str, ...] = (
    "/cgi-bin/media/uploadnews",
    "/cgi-bin/media/uploadvideo",
    "/cgi-bin/media/uploadimg",
)


# Custom menu (FAQ 9: not for uncertified subscription accounts), conditional menus included.
CUSTOM_MENU_PATHS: tuple[str, ...] = ("/cgi-bin/menu/", "/cgi-bin/get_current_selfmenu_info")


def needs_advanced_interfaces(path: str) -> bool:
    if path.startswith(MASS_SEND_HELPER_PATHS):
        return False
    return path.startswith(ADVANCED_INTERFACE_PATHS)


def required_capability(path: str) -> Capability | None:
    """The capability a `/cgi-bin` path needs beyond an approved account, by the FAQ 9 table."""
    if needs_advanced_interfaces(path):
        return Capability.ADVANCED_INTERFACES
    if path.startswith(CUSTOM_MENU_PATHS):
        return Capability.CUSTOM_MENU
    return None


def capabilities(account_type: str | None, certified: bool, status: str) -> list[str]:
    """Capabilities of an account; none unless it is approved (R-REG-19, R-DER-04)."""
    if status != "approved" or account_type not in (SUBSCRIPTION, SERVICE):
        return []
    return sorted(c.value for c in MATRIX[(account_type, certified)])
