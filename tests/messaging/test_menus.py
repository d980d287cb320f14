"""Custom menu (R-PUSH-03) behind the §5.4 capability, and `/cgi-bin` paths no endpoint serves."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.messaging.factories import CgiApi, account_view, image_bytes

CLICK = {"type": "click", "name": "今日", "key": "V1001_TODAY"}
VIEW = {"type": "view", "name": "办事指南", "url": "http://www.gov.cn/"}
MENU = {"button": [CLICK, {"name": "服务", "sub_button": [VIEW, {**CLICK, "name": "查询", "key": "Q"}]}]}


def api_for(client: httpx.AsyncClient, account_type: str = "service", certified: bool = True) -> CgiApi:
    return CgiApi(client, account_view(account_type=account_type, certified=certified))


async def cgi_get(api: CgiApi, path: str) -> dict[str, Any]:
    response = await api.client.get(f"/cgi-bin/{path}", headers=api.headers)
    assert response.status_code == 200
    return dict(response.json())


class TestMenuCapability:
    async def test_uncertified_subscription_account_has_no_menu_48001(
        self, client: httpx.AsyncClient
    ) -> None:
        api = api_for(client, "subscription", certified=False)

        created = await api.post_json("menu/create", MENU)
        got, deleted, info = [
            await cgi_get(api, path) for path in ("menu/get", "menu/delete", "get_current_selfmenu_info")
        ]

        assert [r["errcode"] for r in (created, got, deleted, info)] == [48001] * 4

    @pytest.mark.parametrize(
        ("account_type", "certified"), [("subscription", True), ("service", False), ("service", True)]
    )
    async def test_every_other_account_has_one_46003_until_created(
        self, client: httpx.AsyncClient, account_type: str, certified: bool
    ) -> None:
        api = api_for(client, account_type, certified)

        assert (await cgi_get(api, "menu/get"))["errcode"] == 46003
        assert (await api.post_json("menu/create", MENU))["errcode"] == 0
        assert "menu" in await cgi_get(api, "menu/get")


class TestMenuRoundTrip:
    async def test_get_answers_wechats_shape_with_empty_sub_buttons_and_a_menuid(
        self, client: httpx.AsyncClient
    ) -> None:
        api = api_for(client)
        await api.post_json("menu/create", MENU)

        menu = (await cgi_get(api, "menu/get"))["menu"]

        assert isinstance(menu["menuid"], int)
        first, second = menu["button"]
        assert first == {**CLICK, "sub_button": []}
        assert second["name"] == "服务"
        assert second["sub_button"][0] == {**VIEW, "sub_button": []}

    async def test_selfmenu_info_lists_sub_buttons_as_an_object(self, client: httpx.AsyncClient) -> None:
        api = api_for(client)
        assert (await cgi_get(api, "get_current_selfmenu_info"))["is_menu_open"] == 0
        await api.post_json("menu/create", MENU)

        info = await cgi_get(api, "get_current_selfmenu_info")

        assert info["is_menu_open"] == 1
        assert info["selfmenu_info"]["button"][1]["sub_button"]["list"][0] == VIEW

    async def test_create_replaces_the_menu_with_a_new_menuid_and_delete_removes_it(
        self, client: httpx.AsyncClient
    ) -> None:
        api = api_for(client)
        await api.post_json("menu/create", MENU)
        first = (await cgi_get(api, "menu/get"))["menu"]["menuid"]
        await api.post_json("menu/create", {"button": [VIEW]})
        second = (await cgi_get(api, "menu/get"))["menu"]

        assert second["menuid"] != first
        assert [b["name"] for b in second["button"]] == ["办事指南"]
        assert (await cgi_get(api, "menu/delete"))["errcode"] == 0
        assert (await cgi_get(api, "menu/get"))["errcode"] == 46003

    async def test_another_accounts_menu_is_not_seen(self, client: httpx.AsyncClient) -> None:
        await api_for(client).post_json("menu/create", MENU)
        assert (await cgi_get(api_for(client), "menu/get"))["errcode"] == 46003

    async def test_media_button_needs_the_accounts_permanent_material(
        self, client: httpx.AsyncClient
    ) -> None:
        api, other = api_for(client), api_for(client)
        own = await api.permanent("image", image_bytes("PNG"))
        foreign = await other.permanent("image", image_bytes("PNG"))
        button = {"type": "media_id", "name": "图片"}

        assert (await api.post_json("menu/create", {"button": [{**button, "media_id": own}]}))["errcode"] == 0
        refused = await api.post_json("menu/create", {"button": [{**button, "media_id": foreign}]})
        assert refused["errcode"] == 40007


class TestMenuRules:
    @pytest.mark.parametrize(
        ("menu", "errcode"),
        [
            ({"button": []}, 40016),
            ({"button": [CLICK] * 4}, 40016),
            ({"button": [{**CLICK, "name": "一二三四五六"}]}, 40018),  # 18 bytes
            ({"button": [{**CLICK, "type": "music"}]}, 40017),
            ({"button": [{"type": "click", "name": "今日"}]}, 40019),
            ({"button": [{**CLICK, "key": "k" * 129}]}, 40019),
            ({"button": [{"type": "view", "name": "网页"}]}, 40020),
            ({"button": [{"name": "空"}]}, 41007),
            ({"button": [{"name": "多", "sub_button": [CLICK] * 6}]}, 40023),
            ({"button": [{"name": "子", "sub_button": [{**CLICK, "type": "x"}]}]}, 40024),
            ({"button": [{"name": "子", "sub_button": [{**CLICK, "name": "名" * 21}]}]}, 40025),
            ({"button": [{"name": "子", "sub_button": [{**CLICK, "key": ""}]}]}, 40026),
            ({"button": [{"name": "子", "sub_button": [{**VIEW, "url": "u" * 1025}]}]}, 40027),
            ({"button": [{"name": "子", "sub_button": [{"name": "孙", "sub_button": [CLICK]}]}]}, 40022),
            ({"button": [{"type": "media_id", "name": "图"}]}, 40007),
            ({"button": [{**VIEW, "url": "javascript:alert(1)"}]}, 40055),
            ({"button": [{**VIEW, "url": "JavaScript://www.gov.cn/%0aalert(1)"}]}, 40055),
            ({"button": [{**VIEW, "url": "data:text/html,<script>alert(1)</script>"}]}, 40055),
            ({"button": [{**VIEW, "url": "ftp://www.gov.cn/"}]}, 40055),
            ({"button": [{**VIEW, "url": "www.gov.cn/guide"}]}, 40055),
            ({"button": [{**VIEW, "url": "http:///nohost"}]}, 40055),
            ({"button": [{**VIEW, "url": "http://www.gov.cn/a b"}]}, 40055),
            ({"button": [{**VIEW, "url": "http://[::1"}]}, 40055),
            ({"button": [{**VIEW, "url": "https://www.gov.cn/" + "u" * 1006}]}, 40020),  # 1025 bytes
            ({"button": [{"name": "子", "sub_button": [{**VIEW, "url": "javascript:alert(1)"}]}]}, 40054),
            (
                {
                    "button": [
                        {
                            "type": "miniprogram",
                            "name": "小程序",
                            "url": "javascript:x",
                            "appid": "wx1",
                            "pagepath": "p",
                        }
                    ]
                },
                40055,
            ),
        ],
    )
    async def test_broken_menu_is_refused_with_its_code_and_not_stored(
        self, client: httpx.AsyncClient, menu: dict[str, Any], errcode: int
    ) -> None:
        api = api_for(client)
        assert (await api.post_json("menu/create", menu))["errcode"] == errcode
        assert (await cgi_get(api, "menu/get"))["errcode"] == 46003

    async def test_top_level_name_of_16_bytes_and_sub_name_of_60_bytes_are_accepted(
        self, client: httpx.AsyncClient
    ) -> None:
        menu = {
            "button": [
                {**CLICK, "name": "a" * 16},
                {"name": "子", "sub_button": [{**CLICK, "name": "名" * 20}]},
            ]
        }
        assert (await api_for(client).post_json("menu/create", menu))["errcode"] == 0

    async def test_view_urls_of_http_and_https_up_to_1024_bytes_are_kept(
        self, client: httpx.AsyncClient
    ) -> None:
        longest = "https://www.gov.cn/" + "u" * 1005  # 1024 bytes
        menu = {
            "button": [{**VIEW, "url": longest}, {**VIEW, "name": "二", "url": "HTTP://127.0.0.1:8080/x"}]
        }
        api = api_for(client)

        assert (await api.post_json("menu/create", menu))["errcode"] == 0
        urls = [b["url"] for b in (await cgi_get(api, "menu/get"))["menu"]["button"]]
        assert urls == [longest, "HTTP://127.0.0.1:8080/x"]

    @pytest.mark.parametrize(
        ("menu", "errmsg"),
        [
            ({"button": []}, "invalid button size"),
            ({"button": [{**CLICK, "type": "music"}]}, "invalid button type"),
            ({"button": [{**CLICK, "name": "一二三四五六"}]}, "invalid button name size"),
            ({"button": [{**CLICK, "key": "k" * 129}]}, "invalid button key size"),
            ({"button": [{"type": "view", "name": "网页"}]}, "invalid button url size"),
            ({"button": [{"name": "空"}]}, "missing submenu data"),
            (
                {"button": [{"name": "子", "sub_button": [{"name": "孙", "sub_button": [CLICK]}]}]},
                "invalid sub_menu level",
            ),
            ({"button": [{"name": "多", "sub_button": [CLICK] * 6}]}, "invalid sub button size"),
            ({"button": [{"name": "子", "sub_button": [{**CLICK, "type": "x"}]}]}, "invalid sub button type"),
            (
                {"button": [{"name": "子", "sub_button": [{**CLICK, "name": "名" * 21}]}]},
                "invalid sub button name size",
            ),
            (
                {"button": [{"name": "子", "sub_button": [{**CLICK, "key": ""}]}]},
                "invalid sub button key size",
            ),
            (
                {"button": [{"name": "子", "sub_button": [{**VIEW, "url": "u" * 1025}]}]},
                "invalid sub button url size",
            ),
            ({"button": [{**VIEW, "url": "javascript:alert(1)"}]}, "invalid button url domain"),
            (
                {"button": [{"name": "子", "sub_button": [{**VIEW, "url": "javascript:1"}]}]},
                "invalid sub button url domain",
            ),
        ],
    )
    async def test_refusals_carry_wechats_wording(
        self, client: httpx.AsyncClient, menu: dict[str, Any], errmsg: str
    ) -> None:
        assert (await api_for(client).post_json("menu/create", menu))["errmsg"] == errmsg


class TestUnservedPaths:
    async def test_advanced_interface_without_the_capability_is_48001(
        self, client: httpx.AsyncClient
    ) -> None:
        api = api_for(client, "subscription", certified=False)
        for path in ("message/custom/send", "customservice/getkflist", "qrcode/create"):
            assert (await api.post_json(path, {"touser": "x"}))["errcode"] == 48001

    async def test_unknown_path_of_a_capable_account_is_40066(self, client: httpx.AsyncClient) -> None:
        assert (await api_for(client).post_json("message/custom/send", {"touser": "x"}))["errcode"] == 40066

    async def test_wrong_method_names_the_one_required(self, client: httpx.AsyncClient) -> None:
        api = api_for(client)
        assert (await api.post_json("tags/get", {}))["errcode"] == 43001
        assert (await cgi_get(api, "tags/create"))["errcode"] == 43002
