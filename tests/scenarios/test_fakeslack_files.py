"""The fake's file uploads: the three-step v2 flow, bytes kept, client mistakes reported."""

import urllib.request
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from fakeslack import FakeSlack


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    fake.add_user("U1", "ana")
    fake.add_channel("C1", "general")
    yield fake
    fake.stop()


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.api_url)


def test_files_upload_v2_keeps_the_bytes_and_the_channel(fake, client):
    response = client.files_upload_v2(channel="C1", content="a,b\n1,2\n", filename="x.csv",
                                      title="X", initial_comment="here")  # fmt: skip
    (shared,) = fake.files
    assert response["file"]["id"] == shared.id
    assert (shared.content, shared.channel, shared.title, shared.filename) == (
        b"a,b\n1,2\n", "C1", "X", "x.csv",
    )  # fmt: skip
    assert shared.initial_comment == "here" and fake.errors == []


def test_completing_an_unknown_or_unfinished_upload_fails(fake, client):
    with pytest.raises(SlackApiError) as unknown:
        client.files_completeUploadExternal(files=[{"id": "F999"}], channel_id="C1")
    assert unknown.value.response["error"] == "file_not_found"
    url = client.files_getUploadURLExternal(filename="a.png", length=10)
    with pytest.raises(SlackApiError) as unfinished:
        client.files_completeUploadExternal(files=[{"id": url["file_id"]}], channel_id="C1")
    assert unfinished.value.response["error"] == "file_upload_incomplete"
    assert fake.files == []


def test_wrong_length_and_unknown_upload_urls_are_reported(fake, client):
    url = client.files_getUploadURLExternal(filename="a.png", length=10)
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(
            urllib.request.Request(url["upload_url"], data=b"short", method="POST")
        )
    assert any("announced length 10" in error for error in fake.errors)
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(
            urllib.request.Request(f"{fake.base_url}/upload/F404", data=b"x", method="POST")
        )


def test_get_upload_url_requires_filename_and_length(fake, client):
    with pytest.raises(SlackApiError):
        client.api_call("files.getUploadURLExternal", params={"filename": "a.png"})
    with pytest.raises(SlackApiError):
        client.api_call("files.getUploadURLExternal", params={"filename": "a", "length": "0"})


def test_a_file_completed_into_a_channel_is_shared_there_as_a_message(fake, client):
    client.files_upload_v2(
        channel="C1", content=b"\x89PNG chart", filename="volume.png", initial_comment="Volume"
    )
    [share] = fake.messages("C1")
    assert share["subtype"] == "file_share" and share["text"] == "Volume"
    [file] = share["files"]
    assert file["mimetype"] == "image/png" and file["url_private"] == f"/files/{file['id']}"
    assert fake.files[0].content == b"\x89PNG chart"
