"""Many pages fetched at once from one thread, by libcurl's multi interface.

The extract stage fetches the next pages of a batch while it extracts the current one.
With a thread per fetch, each of libcurl's callbacks (one per header line, one per body
chunk: eight or so a page) has to take the GIL from the thread that is extracting, and
every such handover costs both threads a switch: more than twice the CPU a page of
fetching one at a time (measured on the local replay server's pages). Here
the transfers move on only when the caller asks for a result or starts another page, in
its own thread; meanwhile the kernel keeps receiving what the servers send. A page's total
deadline runs from the moment it goes out, so a page started behind several extractions
that each take most of the stage's time budget can time out unread (its article then takes
the feed's text, as for any failed fetch): with the defaults (8 ahead, a 10 s budget, 30 s
in all) that takes three extractions in a row stopped at the budget.

Every hop goes through the same checks as HttpFetcher.get (adapters/http_fetch.py): the
SSRF policy after DNS resolution, the connection pinned to the checked address, the body
cap, the total deadline. The DNS lookups of those checks run in a few threads of their own
(getaddrinfo blocks, and a resolver can take a while to answer): one GIL handover a hop,
not eight. A URL whose host is an IP literal is checked in place.

Once `stop` is set (the process is told to end), a result asked for is not waited for:
every page not yet done, in transfer, being looked up or waiting for its host, ends as kind
"aborted" (adapters/http_fetch.py), its transfer removed from the multi handle, within one
wait (_MAX_WAIT_S) of the stop; a page started after it ends so at once.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

import pycurl

from adapters.http_fetch import (
    Destination,
    FetchAbort,
    FetchLimits,
    Hop,
    RedirectChain,
    check_destination,
    names_a_host,
    new_handle,
)
from ingest.fetching import ABORTED, FetchFailure, FetchResponse

# The longest one wait for sockets lasts before libcurl's own timers are looked at again,
# and while DNS lookups are out, before their threads are looked at again.
_MAX_WAIT_S = 0.05
_LOOKUP_POLL_S = 0.002
_LOOKUP_THREADS = 4


class HostSlots(Protocol):
    """The politeness rule: whether another request to a host may start now."""

    def may_start(self, host: str, now: float) -> bool: ...
    def started(self, host: str, now: float) -> None: ...
    def finished(self, host: str) -> None: ...


@dataclass(eq=False)
class PageFetch:
    """One page on its way: waiting for its host, being looked up, in transfer, or done."""

    chain: RedirectChain
    headers: Mapping[str, str] | None
    hop: Hop | None = None
    gone_out: bool = False  # its first request was made: the chain's deadline is set
    result: FetchResponse | FetchFailure | None = None
    error: Exception | None = None  # a bug met on its way, raised to whoever asks for it

    @property
    def host(self) -> str:
        """The host its politeness slot is counted under; "" for a URL urllib cannot split
        (an unclosed "[" of an IPv6 host), which the address check then refuses."""
        try:
            return (urlsplit(self.chain.current).hostname or "").lower()
        except ValueError:
            return ""


@dataclass
class PageFetches:
    limits: FetchLimits
    hosts: HostSlots
    stop: threading.Event = field(default_factory=threading.Event)
    _multi: pycurl.CurlMulti = field(default_factory=pycurl.CurlMulti, init=False, repr=False)
    _idle: list[pycurl.Curl] = field(default_factory=list, init=False, repr=False)
    _waiting: deque[PageFetch] = field(default_factory=deque, init=False, repr=False)
    _running: dict[pycurl.Curl, PageFetch] = field(default_factory=dict, init=False, repr=False)
    _looking_up: dict[Future[Destination], PageFetch] = field(
        default_factory=dict, init=False, repr=False
    )
    _lookups: ThreadPoolExecutor | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self._multi.setopt(pycurl.M_MAXCONNECTS, 32)  # kept-alive connections, all handles

    def start(self, url: str, headers: Mapping[str, str] | None = None) -> PageFetch:
        """Queues the page; it goes out as soon as its host has a free slot."""
        # The deadline is set when the page goes out (_begin): waiting for its host is not
        # the server's slowness.
        fetch = PageFetch(RedirectChain(url, deadline=0.0), headers)
        if self.stop.is_set():
            fetch.result = _aborted(fetch, "stopped before the request")
            return fetch
        self._waiting.append(fetch)
        self._progress(0.0)
        return fetch

    def result(self, fetch: PageFetch) -> FetchResponse | FetchFailure:
        """The page's response, moving every transfer on until this one is done or `stop`
        is set, which aborts every page not yet done."""
        while fetch.result is None and fetch.error is None:
            if self.stop.is_set():
                self._abort_all()
                break
            self._progress(_MAX_WAIT_S)
        if fetch.error is not None:
            raise fetch.error
        assert fetch.result is not None
        return fetch.result

    def close(self) -> None:
        for handle in list(self._running):
            self._multi.remove_handle(handle)
            handle.close()
        for handle in self._idle:
            handle.close()
        self._running.clear()
        self._idle.clear()
        self._multi.close()
        if self._lookups is not None:
            self._lookups.shutdown(wait=False, cancel_futures=True)

    def _abort_all(self) -> None:
        """Every page not yet done ends "aborted", its host's slot given back: in transfer
        (removed from the multi handle, which closes its connection), being looked up (the
        lookup's answer is dropped) or waiting for its host."""
        for handle, fetch in list(self._running.items()):
            self._multi.remove_handle(handle)
            self._idle.append(handle)
            self.hosts.finished(fetch.host)
            fetch.result = _aborted(fetch, "stopped in transfer")
        for future, fetch in self._looking_up.items():
            future.cancel()
            self.hosts.finished(fetch.host)
            fetch.result = _aborted(fetch, "stopped while its host was looked up")
        for fetch in self._waiting:
            fetch.result = _aborted(fetch, "stopped while waiting for its host")
        self._running.clear()
        self._looking_up.clear()
        self._waiting.clear()

    def _progress(self, wait_s: float) -> None:
        self._begin_waiting()
        if wait_s:
            self._wait(wait_s)
        for looked_up in [future for future in self._looking_up if future.done()]:
            self._go_out(self._looking_up.pop(looked_up), looked_up.result)
        while self._multi.perform()[0] == pycurl.E_CALL_MULTI_PERFORM:
            pass
        while True:
            queued, done, failed = self._multi.info_read()
            for handle in done:
                self._finished(handle, None)
            for handle, code, message in failed:
                self._finished(handle, pycurl.error(code, message))
            if not queued:
                break
        self._begin_waiting()

    def _wait(self, wait_s: float) -> None:
        """Until a socket is ready, a lookup is done or libcurl's next timer, at most wait_s."""
        if self._running:
            timeout_ms = self._multi.timeout()  # libcurl's next timer, -1 when it has none
            wait_s = wait_s if timeout_ms < 0 else min(wait_s, timeout_ms / 1000)
            if self._looking_up:
                wait_s = min(wait_s, _LOOKUP_POLL_S)
            if self._multi.select(wait_s) == -1:
                time.sleep(min(wait_s, 0.001))  # no socket to wait on yet
        elif self._looking_up:
            wait(list(self._looking_up), timeout=wait_s, return_when=FIRST_COMPLETED)
        else:
            time.sleep(min(wait_s, 0.01))  # nothing under way: waiting hosts are resting

    def _begin_waiting(self) -> None:
        """Starts the waiting pages whose hosts allow it, keeping their order per host."""
        still: deque[PageFetch] = deque()
        while self._waiting:
            fetch = self._waiting.popleft()
            if self.hosts.may_start(fetch.host, time.monotonic()):
                self._begin(fetch)
            else:
                still.append(fetch)
        self._waiting = still

    def _begin(self, fetch: PageFetch) -> None:
        """The hop's check, then its transfer; the host's slot is held from the check on."""
        if not fetch.gone_out:
            fetch.chain.deadline = time.monotonic() + self.limits.total_timeout_s
            fetch.gone_out = True
        self.hosts.started(fetch.host, time.monotonic())
        url, allowlist = fetch.chain.current, self.limits.allowlist
        if names_a_host(url):
            self._looking_up[self._lookup_pool().submit(check_destination, url, allowlist)] = fetch
        else:
            self._go_out(fetch, lambda: check_destination(url, allowlist))

    def _go_out(self, fetch: PageFetch, checked: Callable[[], Destination]) -> None:
        handle: pycurl.Curl | None = None
        try:
            fetch.hop = Hop.to(checked(), self.limits)
            handle = self._idle.pop() if self._idle else new_handle(self.limits)
            fetch.hop.configure(handle, self.limits, fetch.headers, fetch.chain.deadline)
        except Exception as exc:  # the page's own outcome, FetchAbort or a bug
            self.hosts.finished(fetch.host)
            if handle is not None:
                self._idle.append(handle)
            if isinstance(exc, FetchAbort):
                fetch.result = exc.failure_at(fetch.chain.current)
            else:
                fetch.error = exc
            return
        self._running[handle] = fetch
        self._multi.add_handle(handle)

    def _lookup_pool(self) -> ThreadPoolExecutor:
        if self._lookups is None:
            self._lookups = ThreadPoolExecutor(_LOOKUP_THREADS, thread_name_prefix="page-lookup")
        return self._lookups

    def _finished(self, handle: pycurl.Curl, error: pycurl.error | None) -> None:
        fetch = self._running.pop(handle)
        self._multi.remove_handle(handle)
        self._idle.append(handle)
        self.hosts.finished(fetch.host)
        hop = fetch.hop
        assert hop is not None  # set by _begin before the handle ran
        try:
            if error is not None:
                raise hop.failure(error, self.limits)
            fetch.result = fetch.chain.answered(*hop.answer(handle), self.limits.max_redirects)
            fetch.hop = None  # its body, joined into the result or let go for the next hop
        except FetchAbort as exc:
            fetch.result = exc.failure_at(fetch.chain.current)
        if fetch.result is None:
            self._waiting.appendleft(fetch)  # the next hop, checked anew, before later pages


def _aborted(fetch: PageFetch, reason: str) -> FetchFailure:
    return FetchFailure(fetch.chain.current, reason, ABORTED)
