"""core.lookup.ratelimit: Retry-After parsing."""

from __future__ import annotations

import pytest

from core.lookup.ratelimit import ProviderError, RetryPolicy, retry_after_seconds
from tests.fakes import fake_apis_fixture, records_from_frame  # noqa: F401


def test_retry_after_parsing() -> None:
    assert retry_after_seconds({"Retry-After": "12"}) == 12
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0
    assert retry_after_seconds({}, default=3) == 3
    wait, _ = RetryPolicy(max_wait_s=30).wait_for(429, {"Retry-After": "31"}, 0)
    assert wait is None
    assert RetryPolicy(max_attempts=2).wait_for(500, None, 1)[0] is None
    assert RetryPolicy().wait_for(500, None, 2)[0] == 2.0  # doubling backoff
    assert RetryPolicy().wait_for(0, None, 0)[0] == 0.5  # one retry after a timeout …
    assert RetryPolicy().wait_for(0, None, 1)[0] is None  # … then give up
    assert RetryPolicy().wait_for(404, None, 0)[0] is None


def test_wait_or_raise_gives_up_when_the_wait_outlasts_the_budget():
    class Budget:
        def remaining(self) -> float:
            return 3.0

    policy = RetryPolicy()
    wait, reason = policy.wait_or_raise("X", 429, {"Retry-After": "2"}, 0, Budget())
    assert wait == 2 and "Retry-After" in reason
    with pytest.raises(ProviderError, match="time budget has only 3 s left"):
        policy.wait_or_raise("X", 429, {"Retry-After": "5"}, 0, Budget())
    with pytest.raises(ProviderError, match="gave up after"):
        policy.wait_or_raise("X", 503, None, policy.max_attempts - 1)
