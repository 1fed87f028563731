"""The pieces of explorer/app/sessions.py that need no server (tests/browser/test_session_memory.py runs the rest)."""
from explorer.app import sessions


def test_an_xsrf_cookie_masked_afresh_names_the_same_browser():
    # the same token 8044…0c under two masks, as a browser sends it on two page loads
    token = bytes.fromhex("8044abb8bb1289b0878c6e6e7a445b0c")
    cookies = []
    for mask in (bytes.fromhex("8c5d225b"), bytes.fromhex("01020304")):
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(token))
        cookies.append(f"2|{mask.hex()}|{masked.hex()}|1796358890")
    assert cookies[0] != cookies[1]
    assert sessions.xsrf_token(cookies[0]) == sessions.xsrf_token(cookies[1]) == token.hex() + "|1796358890"
    other = "2|01020304|" + bytes(16).hex() + "|1796358890"
    assert sessions.xsrf_token(other) != sessions.xsrf_token(cookies[0])


def test_other_cookies_are_used_as_they_are():
    for cookie in ("", "abc", "2|zz|yy|1", "1|a|b"):
        assert sessions.xsrf_token(cookie) == cookie


def test_the_grace_comes_from_the_environment_and_falls_back_on_nonsense(monkeypatch):
    monkeypatch.setenv("RNN_EXPLORER_SESSION_GRACE_S", "7.5")
    assert sessions.grace_seconds() == 7.5
    for bad in ("soon", "-3"):
        monkeypatch.setenv("RNN_EXPLORER_SESSION_GRACE_S", bad)
        assert sessions.grace_seconds() == sessions.GRACE_S


def test_the_watcher_trims_again_on_the_polls_after_a_close(monkeypatch):
    # a closed session's script may drop its tensors after the first trim; the next polls give that back too
    import asyncio

    closes = iter([1, 0, 0, 0, 0, 2, 0])
    polls = []

    def reap(runtime, gone_since, now):
        try:
            closed = next(closes)
        except StopIteration:
            raise asyncio.CancelledError from None
        polls.append([closed, False])
        return closed

    def release():
        polls[-1][1] = True

    async def no_wait(seconds):
        return None

    monkeypatch.setattr(sessions, "reap", reap)
    monkeypatch.setattr(sessions, "release_memory", release)
    monkeypatch.setattr(sessions.asyncio, "sleep", no_wait)
    try:
        asyncio.run(sessions._watch(runtime=None))
    except asyncio.CancelledError:
        pass
    trimmed = [t for _closed, t in polls]
    assert sessions.TRIMS_AFTER_CLOSE == 3
    assert trimmed == [True, True, True, False, False, True, True], polls
