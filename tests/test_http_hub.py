"""The Hub client's request policy (catalog.hub.client) against the fake Hub, through the real
huggingface_hub client: total deadlines, stage deadlines, one retry layer, Retry-After and the
RateLimit reset, and what each request is charged to. Back-offs go through an injected sleep."""

from __future__ import annotations

import pytest
from huggingface_hub import get_session
from huggingface_hub.errors import HfHubHTTPError

from catalog.fakehub import FakeHub, Repo, RepoFile, Snapshot
from catalog.hub import classify
from catalog.hub.client import (
    Budget,
    DeadlinePassed,
    RequestCapExceeded,
    RequestTimeout,
    hub_api,
    is_hub_url,
)
from catalog.settings import HubScope

SHA = "5" * 40
INFO = r"^/api/models/org/m$"
LISTING = r"^/api/models$"


class Clock:
    """A clock that moves only when slept on."""

    def __init__(self) -> None:
        self.t, self.slept = 1000.0, []

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


@pytest.fixture
def hub():
    info = {"id": "org/m", "sha": SHA, "downloads": 1, "tags": ["text-generation"],
            "cardData": {"license": "apache-2.0", "note": "x" * 400}}
    files = {"config.json": RepoFile("config.json", 0, content=b"{}"),
             "m.gguf": RepoFile("m.gguf", 10**9, head=b"GGUF", sha256="e" * 64)}
    fake = FakeHub(Snapshot([Repo(info, files)]))
    with fake.running():
        yield fake


def _calls(api):
    return {"model_info": lambda: api.model_info("org/m"),
            "list_models": lambda: list(api.list_models(author="org"))}


# -- item 1: a total deadline per request, and per stage -------------------------------------
@pytest.mark.parametrize("call", ["model_info", "list_models"])
def test_a_trickled_answer_is_cut_at_its_deadline_retried_then_a_timeout(hub, call) -> None:
    """1 byte every 50 ms: each read is quick, so only a deadline on the whole body stops
    it (uncut, the ~700-byte answer would take ~35 s). list_models goes through
    huggingface_hub's own http_backoff, which must not retry on top of us."""
    path = INFO if call == "model_info" else LISTING
    hub.add_fault(path, trickle_bytes=1, trickle_interval=0.05, times=None)
    slept: list[float] = []
    api = hub_api(hub.url, token=False, budget=Budget(request_deadline=0.3, max_retries=2,
                                                      sleep=slept.append))
    with pytest.raises(RequestTimeout, match="deadline") as caught:
        _calls(api)[call]()
    assert len(hub.requests) == 3 and len(slept) == 2          # 1 + max_retries, backed off twice
    assert classify("org/m", caught.value).kind == "timeout"    # a per-repo failure, as a time-out


def test_a_stage_deadline_cuts_a_request_short_and_stops_the_next(hub) -> None:
    hub.add_fault(INFO, trickle_bytes=1, trickle_interval=0.05, times=None)
    budget = Budget(request_deadline=60, max_retries=4, sleep=lambda s: None)
    api = hub_api(hub.url, token=False, budget=budget)
    with budget.stage("models", seconds=0.3), pytest.raises(DeadlinePassed, match="'models' stage"):
        api.model_info("org/m")
    assert len(hub.requests) == 1            # cut at the stage's deadline, no retry after it


def test_after_the_stage_deadline_requests_fail_fast(hub) -> None:
    clock = Clock()
    budget = Budget(clock=clock, sleep=clock.sleep)
    api = hub_api(hub.url, token=False, budget=budget)
    with budget.stage("models", seconds=60):
        assert budget.request_deadline_at() == clock.t + 60      # never past the stage's end
        api.model_info("org/m")
        clock.t += 61
        with pytest.raises(DeadlinePassed, match="'models' stage's deadline has passed"):
            api.model_info("org/m")
    assert len(hub.requests) == 1
    api.model_info("org/m")                                      # the next stage has its own
    assert budget.deadline is None and len(hub.requests) == 2


def test_a_wait_that_would_pass_the_stage_deadline_fails_at_once(hub) -> None:
    hub.add_fault(INFO, status=429, headers={"Retry-After": "120", "RateLimit": '"api";r=0;t=3'},
                  times=None)
    clock = Clock()
    budget = Budget(clock=clock, sleep=clock.sleep)
    api = hub_api(hub.url, token=False, budget=budget)
    with budget.stage("models", seconds=60), pytest.raises(DeadlinePassed, match="waiting 120"):
        api.model_info("org/m")
    assert clock.slept == [] and len(hub.requests) == 1


# -- item 2: one retry policy; Retry-After and the RateLimit reset ---------------------------
@pytest.mark.parametrize(("retry_after", "reset", "max_wait", "waited"), [
    ("7", 1, 300, 7),          # Retry-After is later than the reset
    ("2", 300, 300, 300),      # the reset is later than Retry-After
    ("2", 300, 60, 60),        # ... capped at max_wait
    (None, 5, 300, 5),         # the reset alone
])
def test_a_429_waits_the_later_of_retry_after_and_the_reset_capped(
        hub, retry_after, reset, max_wait, waited) -> None:
    headers = {"RateLimit": f'"api";r=0;t={reset}'}
    if retry_after:
        headers["Retry-After"] = retry_after
    hub.add_fault(INFO, status=429, headers=headers, times=1)
    clock = Clock()
    api = hub_api(hub.url, token=False, budget=Budget(clock=clock, sleep=clock.sleep,
                                                      max_wait=max_wait))
    assert api.model_info("org/m").sha == SHA
    assert clock.slept == [waited]
    assert [r.status for r in hub.requests] == [429, 200]


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("call", ["model_info", "list_models"])
def test_a_persistent_error_reaches_the_server_1_plus_max_retries_times(hub, call, status) -> None:
    """huggingface_hub's http_backoff (listings) retries 5 more times per call on its own,
    with real sleeps: 5 x 6 = 30 requests for max_retries = 4 before; now 5."""
    hub.add_fault(INFO if call == "model_info" else LISTING, status=status, times=None)
    clock = Clock()
    api = hub_api(hub.url, token=False, budget=Budget(max_retries=4, clock=clock, sleep=clock.sleep))
    with pytest.raises(HfHubHTTPError) as caught:
        _calls(api)[call]()
    assert caught.value.response.status_code == status
    assert len(hub.requests) == 5 and len(clock.slept) == 4


def test_a_persistent_hang_is_tried_1_plus_max_retries_times(hub) -> None:
    hub.add_fault(LISTING, hang=True, times=None)
    api = hub_api(hub.url, token=False, budget=Budget(timeout=0.2, max_retries=1,
                                                      sleep=lambda s: None))
    with pytest.raises(RequestTimeout, match="2 attempt"):
        list(api.list_models(author="org"))
    assert len(hub.requests) == 2


# -- item 3: what a request is charged to ----------------------------------------------------
def test_a_cdn_hop_is_charged_to_cdn_never_to_pages_nor_to_the_cap(hub) -> None:
    budget = Budget(cap=1)
    hub_api(hub.url, token=False, budget=budget)
    r = get_session().get(f"{hub.url}/org/m/resolve/{SHA}/m.gguf", headers={"Range": "bytes=0-3"})
    assert (r.status_code, r.content) == (206, b"GGUF")
    assert budget.counts() == {"cdn": 1, "resolvers": 1}
    assert {k: v for k, v in hub.counts().items() if v} == budget.counts()
    with pytest.raises(RequestCapExceeded):
        get_session().get(f"{hub.url}/org/m/resolve/{SHA}/config.json")
    assert len(hub.requests) == 2


def test_an_earlier_endpoint_of_the_process_is_no_hub_any_more() -> None:
    """A test's fake Hub closes and its loopback port is reused by the next test's CDN: that CDN
    must not be taken for the Hub (it got the token, and its hops were charged to Hub windows)."""
    hub_api("http://127.0.0.1:40001", token=False)
    assert is_hub_url("http://127.0.0.1:40001/api/models")
    hub_api("http://127.0.0.1:40002", token=False)
    assert is_hub_url("http://127.0.0.1:40002/api/models")
    assert not is_hub_url("http://127.0.0.1:40001/xet-bridge-us/org/m")
    assert is_hub_url("https://huggingface.co/api/models")     # the real Hub always is


def test_the_budget_takes_the_hub_settings() -> None:
    scope = HubScope(request_cap=7, max_retries=2, timeout_seconds=5.0,
                     request_deadline_seconds=50.0, max_wait_seconds=90.0)
    budget = Budget.from_scope(scope, jitter=0.0)
    assert (budget.cap, budget.max_retries, budget.timeout, budget.request_deadline,
            budget.max_wait, budget.jitter) == (7, 2, 5.0, 50.0, 90.0, 0.0)
