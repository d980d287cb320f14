"""`/cgi-bin/message/mass/*` (R-MSG-20..22, R-MSG-24, R-MSG-25, R-MSG-27) against the real app."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.messaging.mass.models import MassCounter, MassJob
from tests.messaging.factories import CgiApi, account_view, image_bytes, insert_followers


def text_to_all(content: str = "今天下午停水，请提前储水。") -> dict[str, Any]:
    # Exactly what wechatpy 1.8.18 sends for send_mass_text(None, …).
    return {
        "msgtype": "text",
        "send_ignore_reprint": 0,
        "filter": {"group_id": None, "is_to_all": True},
        "text": {"content": content},
    }


async def inbox(client: httpx.AsyncClient, openid: str) -> list[dict[str, Any]]:
    response = await client.get(f"/_sandbox/followers/{openid}/inbox")
    assert response.status_code == 200
    return list(response.json()["items"])


async def job_row(db_conn: AsyncConnection, msg_id: int) -> MassJob:
    return (await db_conn.execute(select(MassJob.__table__).where(MassJob.id == msg_id))).one()  # type: ignore[return-value]


class TestSendAll:
    @pytest.mark.rule("R-MSG-20", "R-MSG-24", "R-MSG-27")
    async def test_text_to_all_reaches_subscribed_followers_of_this_account_only(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        account, stranger = account_view(), account_view()
        fans = await insert_followers(db_conn, account, 3)
        gone = await insert_followers(db_conn, account, 1, subscribed=False)
        others = await insert_followers(db_conn, stranger, 2)

        body = await CgiApi(client, account).post_json("message/mass/sendall", text_to_all())

        assert body["errcode"] == 0
        assert body["errmsg"] == "send job submission success"
        assert "msg_data_id" not in body
        job = await job_row(db_conn, body["msg_id"])
        assert (job.status, job.total_count, job.filter_count, job.sent_count, job.error_count) == (
            "SEND_SUCCESS",
            3,
            3,
            3,
            0,
        )
        assert [len(await inbox(client, o)) for o in fans] == [1, 1, 1]
        assert await inbox(client, gone[0]) == []
        assert [await inbox(client, o) for o in others] == [[], []]

    @pytest.mark.rule("R-MSG-20")
    async def test_tag_filter_reaches_tag_members_only(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        account = account_view()
        tagged = await insert_followers(db_conn, account, 2, tag_id=100)
        untagged = await insert_followers(db_conn, account, 2)
        body = text_to_all()
        body["filter"] = {"is_to_all": False, "tag_id": 100}

        result = await CgiApi(client, account).post_json("message/mass/sendall", body)

        assert result["errcode"] == 0
        assert [len(await inbox(client, o)) for o in tagged + untagged] == [1, 1, 0, 0]

    @pytest.mark.rule("R-MSG-20")
    async def test_legacy_group_id_is_read_as_the_tag(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        account = account_view()
        tagged = await insert_followers(db_conn, account, 2, tag_id=101)
        await insert_followers(db_conn, account, 1)
        body = text_to_all()
        body["filter"] = {"group_id": 101, "is_to_all": False}

        result = await CgiApi(client, account).post_json("message/mass/sendall", body)

        assert (await job_row(db_conn, result["msg_id"])).sent_count == 2
        assert len(await inbox(client, tagged[0])) == 1

    @pytest.mark.rule("R-MSG-20")
    async def test_unknown_tag_is_40152(self, client: httpx.AsyncClient) -> None:
        body = text_to_all()
        body["filter"] = {"is_to_all": False, "tag_id": 999}
        result = await CgiApi(client, account_view()).post_json("message/mass/sendall", body)
        assert result["errcode"] == 40152

    @pytest.mark.rule("R-MSG-21")
    async def test_text_over_1200_units_is_45002(self, client: httpx.AsyncClient) -> None:
        result = await CgiApi(client, account_view()).post_json(
            "message/mass/sendall", text_to_all("政" * 601)
        )
        assert result["errcode"] == 45002

    @pytest.mark.rule("R-MSG-21")
    async def test_text_of_600_chinese_characters_is_accepted(self, client: httpx.AsyncClient) -> None:
        result = await CgiApi(client, account_view()).post_json(
            "message/mass/sendall", text_to_all("政" * 600)
        )
        assert result["errcode"] == 0

    @pytest.mark.rule("R-MSG-22")
    async def test_japanese_text_is_47003_naming_the_characters(self, client: httpx.AsyncClient) -> None:
        result = await CgiApi(client, account_view()).post_json(
            "message/mass/sendall", text_to_all("停水のお知らせ")
        )
        assert result["errcode"] == 47003
        assert result["characters"] == ["の", "お", "ら", "せ"]
        assert "の" in result["errmsg"]

    async def test_empty_text_is_44004(self, client: httpx.AsyncClient) -> None:
        result = await CgiApi(client, account_view()).post_json("message/mass/sendall", text_to_all("  "))
        assert result["errcode"] == 44004

    async def test_image_without_media_id_is_41006(self, client: httpx.AsyncClient) -> None:
        body = {"msgtype": "image", "filter": {"is_to_all": True}, "image": {}}
        result = await CgiApi(client, account_view()).post_json("message/mass/sendall", body)
        assert result["errcode"] == 41006

    async def test_unknown_media_id_is_40007(self, client: httpx.AsyncClient) -> None:
        body = {"msgtype": "voice", "filter": {"is_to_all": True}, "voice": {"media_id": "nope"}}
        result = await CgiApi(client, account_view()).post_json("message/mass/sendall", body)
        assert result["errcode"] == 40007

    async def test_missing_filter_is_47001(self, client: httpx.AsyncClient) -> None:
        body = {"msgtype": "text", "text": {"content": "hi"}}
        result = await CgiApi(client, account_view()).post_json("message/mass/sendall", body)
        assert result["errcode"] == 47001

    @pytest.mark.rule("R-MSG-10", "R-MSG-20")
    async def test_uploaded_image_is_sent_and_shown_by_media_id(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        account = account_view()
        fans = await insert_followers(db_conn, account, 2)
        api = CgiApi(client, account)
        media_id = await api.permanent("image", image_bytes())
        body = {"msgtype": "image", "filter": {"is_to_all": True}, "images": {"media_ids": [media_id]}}

        result = await api.post_json("message/mass/sendall", body)

        assert result["errcode"] == 0
        item = (await inbox(client, fans[0]))[0]
        assert (item["msgtype"], item["media_id"]) == ("image", media_id)

    @pytest.mark.rule("R-MSG-25")
    async def test_uncertified_account_is_48001(self, client: httpx.AsyncClient) -> None:
        account = account_view(certified=False)
        result = await CgiApi(client, account).post_json("message/mass/sendall", text_to_all())
        assert result["errcode"] == 48001

    @pytest.mark.rule("R-MSG-25", "R-REG-19")
    async def test_account_in_review_is_48001(self, client: httpx.AsyncClient) -> None:
        result = await CgiApi(client, account_view(status="in_review")).post_json(
            "message/mass/sendall", text_to_all()
        )
        assert result["errcode"] == 48001


@pytest.mark.rule("R-MSG-24")
class TestFolder:
    @pytest.mark.parametrize(
        ("account_type", "folder"), [("subscription", "subscription"), ("service", "chat")]
    )
    async def test_folder_follows_the_account_type(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection, account_type: str, folder: str
    ) -> None:
        account = account_view(account_type=account_type)
        fan = (await insert_followers(db_conn, account, 1))[0]

        result = await CgiApi(client, account).post_json("message/mass/sendall", text_to_all("hello"))

        [item] = await inbox(client, fan)
        assert item == {
            "msg_id": result["msg_id"],
            "folder": folder,
            "msgtype": "text",
            "content": "hello",
            "from_appid": account.appid,
            "delivered_at": item["delivered_at"],
            "deleted": False,
        }


class TestSendToOpenids:
    @pytest.mark.rule("R-MSG-20", "R-MSG-24")
    async def test_non_followers_and_other_accounts_openids_are_filtered(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        account, stranger = account_view(), account_view()
        fans = await insert_followers(db_conn, account, 2)
        gone = await insert_followers(db_conn, account, 1, subscribed=False)
        foreign = await insert_followers(db_conn, stranger, 1)
        body = {
            "touser": [*fans, *gone, *foreign, "o" + "x" * 27],
            "msgtype": "text",
            "text": {"content": "hi"},
        }

        result = await CgiApi(client, account).post_json("message/mass/send", body)

        job = await job_row(db_conn, result["msg_id"])
        assert (job.total_count, job.filter_count, job.sent_count) == (5, 2, 2)
        assert await inbox(client, foreign[0]) == []
        assert await inbox(client, gone[0]) == []

    @pytest.mark.rule("R-MSG-20")
    async def test_a_single_openid_is_40130(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        account = account_view()
        fans = await insert_followers(db_conn, account, 1)
        body = {"touser": fans, "msgtype": "text", "text": {"content": "hi"}}
        result = await CgiApi(client, account).post_json("message/mass/send", body)
        assert result["errcode"] == 40130


@pytest.mark.rule("R-MSG-20")
class TestPreview:
    async def test_preview_reaches_one_follower_without_using_quota(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        account = account_view(account_type="subscription")
        fans = await insert_followers(db_conn, account, 2)
        api = CgiApi(client, account)
        body = {"touser": fans[0], "msgtype": "text", "text": {"content": "预览"}, "send_ignore_reprint": 0}

        result = await api.post_json("message/mass/preview", body)

        assert (result["errcode"], result["errmsg"]) == (0, "preview success")
        assert [len(await inbox(client, o)) for o in fans] == [1, 0]
        mass_used = await db_conn.scalar(
            select(func.count()).where(
                MassCounter.account_id == account.account_id, MassCounter.kind == "mass"
            )
        )
        assert mass_used == 0
        assert (await api.post_json("message/mass/sendall", text_to_all()))["errcode"] == 0

    async def test_preview_to_a_non_follower_is_40003(self, client: httpx.AsyncClient) -> None:
        body = {"touser": "o" + "y" * 27, "msgtype": "text", "text": {"content": "预览"}}
        result = await CgiApi(client, account_view()).post_json("message/mass/preview", body)
        assert result["errcode"] == 40003


@pytest.mark.rule("R-MSG-20")
class TestGetAndDelete:
    async def test_get_reports_send_success_once_fanned_out(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        account = account_view()
        await insert_followers(db_conn, account, 1)
        api = CgiApi(client, account)
        msg_id = (await api.post_json("message/mass/sendall", text_to_all()))["msg_id"]

        assert await api.post_json("message/mass/get", {"msg_id": str(msg_id)}) == {
            "msg_id": msg_id,
            "msg_status": "SEND_SUCCESS",
        }

    async def test_another_accounts_msg_id_is_40059(self, client: httpx.AsyncClient) -> None:
        msg_id = (await CgiApi(client, account_view()).post_json("message/mass/sendall", text_to_all()))[
            "msg_id"
        ]
        other = CgiApi(client, account_view())
        assert (await other.post_json("message/mass/get", {"msg_id": msg_id}))["errcode"] == 40059
        assert (await other.post_json("message/mass/delete", {"msg_id": msg_id}))["errcode"] == 40059

    async def test_delete_marks_the_job_deleted(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        account = account_view()
        fan = (await insert_followers(db_conn, account, 1))[0]
        api = CgiApi(client, account)
        msg_id = (await api.post_json("message/mass/sendall", text_to_all()))["msg_id"]

        assert await api.post_json("message/mass/delete", {"msg_id": msg_id}) == {
            "errcode": 0,
            "errmsg": "ok",
        }

        assert (await api.post_json("message/mass/get", {"msg_id": msg_id}))["msg_status"] == "DELETE"
        assert (await inbox(client, fan))[0]["deleted"] is True


class TestInbox:
    async def test_unknown_openid_is_404(self, client: httpx.AsyncClient) -> None:
        response = await client.get(f"/_sandbox/followers/{'o' + 'z' * 27}/inbox")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "follower_not_found"

    async def test_newest_message_comes_first(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        account = account_view()
        fan = (await insert_followers(db_conn, account, 1))[0]
        api = CgiApi(client, account)
        first = (await api.post_json("message/mass/sendall", text_to_all("first")))["msg_id"]
        second = (await api.post_json("message/mass/sendall", text_to_all("second")))["msg_id"]

        assert [item["msg_id"] for item in await inbox(client, fan)] == [second, first]
