"""Outbound dialer campaigns.

A campaign calls a contact list during local business hours (Mon-Fri 9-20, Sat 10-15) with a team
of agents, in progressive mode (an agent is reserved, then one number dialled) or predictive mode
(lines are dialled ahead of agents at a pace; a person who answers while no agent is free is
dropped: ``abandoned``). Every contact is screened first: numbers on the do-not-call list are
``blocked_dnc``; contacts whose own local time is outside 08:00-21:00 are ``blocked_curfew`` and
never dialled. Unanswered contacts are retried later; answered ones get an agent disposition,
right-party contact and conversion (two script variants, A/B). Every dialled attempt is a CDR.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from telephony.simulator.agents import AgentPool, AgentRoster, Shift, shift_breaks
from telephony.simulator.calls import CAUSE, DEFAULT_SIP, OUTBOUND, CallChunk
from telephony.simulator.carriers import customer_rate_per_min, price_micros
from telephony.simulator.clock import SECONDS_PER_DAY, US_PER_S, LocalClock
from telephony.simulator.geography import e164, national_numbers, timezone_choices
from telephony.simulator.identifiers import codes_to_strings, prefixed_numbers, uuid4_strings
from telephony.simulator.tenants import Tenant
from telephony.simulator.wire import build_table, timestamps
from telephony.simulator.world import World

DIAL_MODES: tuple[str, ...] = ("preview", "progressive", "predictive")
PROGRESSIVE, PREDICTIVE = 1, 2
OUTCOMES: tuple[str, ...] = (
    "answered",
    "abandoned",
    "voicemail",
    "no_answer",
    "busy",
    "failed",
    "blocked_dnc",
    "blocked_curfew",
)
ANSWERED, ABANDONED, VOICEMAIL, NO_ANSWER, BUSY, FAILED, BLOCKED_DNC, BLOCKED_CURFEW = range(8)
DISPOSITIONS: tuple[str, ...] = ("sale", "callback", "not_interested", "wrong_party", "do_not_call")
SALE, CALLBACK, NOT_INTERESTED, WRONG_PARTY, DO_NOT_CALL = range(5)
VARIANTS: tuple[str, ...] = ("A", "B")
SOURCE_DIALER = 1
MAX_ATTEMPTS = 4
#: Contacts may be called between 08:00 and 21:00 in their own local time (TCPA-style curfew).
CURFEW_START_H, CURFEW_END_H = 8.0, 21.0
_SCREEN_PER_SLOT = 2
_HOUR = 3600 * US_PER_S
_DAY = SECONDS_PER_DAY * US_PER_S
#: Dialled-attempt outcome probabilities before carrier effects (person, machine, no answer, busy).
_P_PERSON, _P_MACHINE, _P_NO_ANSWER, _P_BUSY = 0.30, 0.14, 0.38, 0.08


@dataclass
class Campaign:
    index: int  # global campaign index
    campaign_id: str
    owner: int  # global customer index
    mode: int
    first_day: int  # tenant-local day numbers (inclusive)
    last_day: int
    agent_hours: float  # per open weekday (Saturdays get half)
    conversion: tuple[float, float]  # per variant, given a right-party contact
    caller_id: str


@dataclass
class Attempts:
    """Campaign attempt columns (codes; ``call`` is an index into the tenant's dialer chunk)."""

    campaign: list[int] = field(default_factory=list)
    number: list[int] = field(default_factory=list)  # attempt counter within the campaign
    contact: list[int] = field(default_factory=list)
    attempt_number: list[int] = field(default_factory=list)
    mode: list[int] = field(default_factory=list)
    outcome: list[int] = field(default_factory=list)
    disposition: list[int] = field(default_factory=list)
    rpc: list[bool] = field(default_factory=list)
    converted: list[bool] = field(default_factory=list)
    call: list[int] = field(default_factory=list)
    agent: list[int] = field(default_factory=list)
    variant: list[int] = field(default_factory=list)
    t_us: list[int] = field(default_factory=list)


class ContactBook:
    """A campaign's contacts: numbers, time zones, DNC flags, variants and the retry queue."""

    def __init__(self, rng: np.random.Generator, tenant: Tenant, size: int) -> None:
        country = tenant.country
        self.numbers: list[str] = e164(country, national_numbers(rng, country, size)).to_pylist()
        self.zone = timezone_choices(country, rng, size).tolist()
        self.dnc = (rng.random(size) < 0.025).tolist()
        self.variant = rng.integers(0, 2, size=size).tolist()
        self.attempts = [0] * size
        self._fresh = 0
        self._retry: list[tuple[int, int]] = []

    def next_due(self, t_us: int) -> int | None:
        if self._retry and self._retry[0][0] <= t_us:
            return heapq.heappop(self._retry)[1]
        if self._fresh < len(self.numbers):
            self._fresh += 1
            return self._fresh - 1
        return None

    def retry(self, contact: int, due_us: int) -> None:
        if self.attempts[contact] < MAX_ATTEMPTS:
            heapq.heappush(self._retry, (due_us, contact))

    def next_retry_at(self) -> int | None:
        return self._retry[0][0] if self._retry else None


class _Draws:
    """Per-attempt random numbers drawn in bulk: attempt k uses element k of every list.

    Batches are drawn up front for speed and more are drawn when a campaign dials more than
    expected (e.g. a progressive dialer redialling quickly through a carrier outage).
    """

    def __init__(self, rng: np.random.Generator, world: World, tenant: Tenant, size: int) -> None:
        self._rng, self._network, self._size = rng, world.network, size
        self._country = tenant.country_index
        self.lists: dict[str, list] = {}
        self.grow()

    def __len__(self) -> int:
        return len(self.lists["carrier"])

    def grow(self) -> None:
        rng, network, size = self._rng, self._network, self._size
        carrier = network.choose_carriers(rng, np.full(size, self._country))
        batch = {
            "carrier": carrier,
            "trunk": network.choose_trunks(rng, carrier),
            "codec": network.choose_codecs(rng, carrier),
            "pdd_ms": network.pdd_ms(rng, carrier),
            "asr": network.asr_factor[carrier],
            "u": rng.random((size, 6)),
            "ring_us": (rng.lognormal(np.log(9.0), 0.45, size) * US_PER_S).astype(np.int64),
            "talk_rpc_us": (
                np.clip(rng.lognormal(np.log(170), 0.6, size), 20, 5400) * US_PER_S
            ).astype(np.int64),
            "talk_other_us": (
                np.clip(rng.lognormal(np.log(35), 0.5, size), 5, 900) * US_PER_S
            ).astype(np.int64),
            "wrap_s": np.maximum(1, np.rint(rng.lognormal(np.log(20), 0.5, size))).astype(int),
        }
        for name, values in batch.items():
            self.lists.setdefault(name, []).extend(values.tolist())


_PROGRESSIVE_PER_DAY = 290  # dialled attempts per 8 h progressive agent-day (~86 s a cycle)
#: Mean handle time of a connected call (talk incl. conversions, plus wrap-up), seconds.
_HANDLE_S = 0.72 * 203 * 1.04 + 0.28 * 40 + 22
_TARGET_ABANDON = 0.04


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of an M/M/c/c loss system (stable recursion)."""
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = load * blocking / (k + load * blocking)
    return blocking


def predictive_load(team: int) -> float:
    """Offered Erlangs of answered people that keeps drops at the target for ``team`` agents."""
    low, high = 0.0, float(team) * 2
    for _ in range(50):
        mid = (low + high) / 2
        low, high = (mid, high) if erlang_b(team, mid) < _TARGET_ABANDON else (low, mid)
    return low


def predictive_pace(team: int) -> float:
    """Dials per second per agent: answered people arrive at the loss-system load."""
    # Breaks and late logins take about a fifth of the team away: pace for the agents present.
    return 0.75 * predictive_load(team) / (team * _P_PERSON * _HANDLE_S)


def predictive_team(weekday_attempts: float) -> int:
    """Smallest predictive team whose 8 h day dials ``weekday_attempts`` (0 if more than 40)."""
    for team in range(1, 41):
        if team * predictive_pace(team) * 8 * 3600 >= weekday_attempts:
            return team
    return 0


def plan_campaigns(world: World, tenant: Tenant) -> list[Campaign]:
    """Back-to-back campaigns in one or two lanes covering the window."""
    rng = world.streams.rng("dialer", tenant.index, 0)
    clock = world.clocks[tenant.index]
    days = clock.local_days()
    lanes = 2 if tenant.size > 1.2 else 1
    # Agents so that attempts per open weekday hit the tenant's campaign share of traffic.
    weekday_attempts = tenant.daily_calls * tenant.campaign_share * 7 / 5.4 / lanes
    campaigns = []
    n_customers = len(tenant.customer_ids)
    for lane in range(lanes):
        cursor = days[0] - int(rng.integers(0, 6))
        while cursor <= days[-1]:
            length = int(rng.integers(5, 16))
            index = len(world.campaign_ids)
            campaign_id = f"{tenant.tenant_id}-cmp{index + 1:03d}"
            world.campaign_ids.append(campaign_id)
            team = predictive_team(weekday_attempts)
            if team >= 2 and rng.random() < 0.7:
                mode, agent_hours = PREDICTIVE, 8.0 * team
            else:
                mode, agent_hours = PROGRESSIVE, 8.0 * weekday_attempts / _PROGRESSIVE_PER_DAY
            base = float(rng.uniform(0.06, 0.12))
            owner = tenant.first_customer + int(rng.integers(0, min(8, n_customers)))
            caller = e164(tenant.country, national_numbers(rng, tenant.country, 1))[0].as_py()
            campaigns.append(
                Campaign(
                    index,
                    campaign_id,
                    owner,
                    mode,
                    cursor,
                    cursor + length - 1,
                    agent_hours,
                    (base, base * float(rng.uniform(1.0, 1.5))),
                    caller,
                )
            )
            cursor += length + int(rng.integers(0, 3)) + lane
    return campaigns


def _sessions(
    campaign: Campaign, clock: LocalClock, window_end_us: int, rng: np.random.Generator
) -> list[tuple[int, int]]:
    """(start, end) of each agent shift, window-relative µs, inside the window."""
    sessions = []
    for day in range(campaign.first_day, campaign.last_day + 1):
        weekday = (day + 3) % 7
        if weekday == 6:
            continue
        if campaign.mode == PREDICTIVE:
            # The team works together: early on even days, late (to 21:15) on odd days.
            team = round(campaign.agent_hours / 8.0)
            span = (10.0, 15.0) if weekday == 5 else (9.0, 17.0) if day % 2 == 0 else (13.25, 21.25)
            spans = [span] * team
        elif weekday == 5:
            spans = _spans(campaign.agent_hours / 2, 10.0, 5.0, day)
        else:
            spans = _spans(campaign.agent_hours, 9.0, 8.0, day)
        for begin_h, end_h in spans:
            begin = int(clock.to_window_s(day * SECONDS_PER_DAY + begin_h * 3600) * US_PER_S)
            end = int(clock.to_window_s(day * SECONDS_PER_DAY + end_h * 3600) * US_PER_S)
            begin += int(rng.uniform(0, 300) * US_PER_S)
            if begin >= 0 and end <= window_end_us:
                sessions.append((begin, end))
    return sessions


def _spans(hours: float, first_start: float, length: float, day: int) -> list[tuple[float, float]]:
    """Full shifts alternating early/late starts, plus one part-time shift (at least 2 h).

    Late shifts run to 21:15, past the 21:00 curfew: contacts there are blocked, not dialled.
    """
    full = int(hours // length)
    late_start = first_start + 4.25
    spans = [(first_start if k % 2 == 0 else late_start,) * 2 for k in range(full)]
    spans = [(begin, begin + length) for begin, _ in spans]
    rest = max(hours - full * length, 2.0 if full == 0 else 0.0)
    if rest >= 2.0:
        # Part-timers work mornings on even days and evenings on odd days.
        begin = first_start if day % 2 == 0 else late_start + length - rest
        spans.append((begin, begin + rest))
    return spans


class _CallCols:
    def __init__(self) -> None:
        self.cols: dict[str, list[int]] = {
            name: []
            for name in (
                "campaign",
                "contact",
                "start",
                "answer",
                "end",
                "cause",
                "sip",
                "carrier",
                "trunk",
                "codec",
                "agent",
                "pdd",
                "wrap",
                "owner",
                "draw",
            )
        }

    def add(self, **values: int) -> int:
        for name, value in values.items():
            self.cols[name].append(value)
        return len(self.cols["start"]) - 1


@dataclass
class DialerRun:
    """A tenant's campaigns: their CDRs, attempts (call refs into ``chunk``), agents, contacts."""

    chunk: CallChunk
    attempts: Attempts
    pools: list[AgentPool]
    books: list[ContactBook]
    campaigns: list[Campaign]


def run_dialer(world: World, tenant: Tenant, roster: AgentRoster) -> DialerRun:
    clock = world.clocks[tenant.index]
    contact_clocks = [LocalClock(tz, world.window) for tz, _ in tenant.country.timezones]
    campaigns = plan_campaigns(world, tenant)
    attempts = Attempts()
    calls = _CallCols()
    pools, books = [], []
    for k, campaign in enumerate(campaigns):
        rng = world.streams.rng("dialer", tenant.index, k + 1)
        sessions = _sessions(campaign, clock, world.window.end_us, rng)
        shifts = []
        for begin, end in sorted(sessions):
            agent = roster.assign(begin, end)
            shifts.append(
                Shift(agent, -1, begin, begin, end, shift_breaks(begin, end - begin, rng))
            )
        pool = AgentPool(shifts)
        per_session = (
            8 * 3600 * predictive_pace(round(campaign.agent_hours / 8))
            if campaign.mode == PREDICTIVE
            else 350
        )
        expected = int(len(sessions) * per_session * 1.4) + 64
        draws = _Draws(rng, world, tenant, expected)
        book = ContactBook(rng, tenant, max(16, expected // 2))
        run = _CampaignRun(
            world, tenant, campaign, pool, book, draws, contact_clocks, attempts, calls
        )
        if campaign.mode == PREDICTIVE:
            run.predictive(rng, sessions)
        else:
            run.progressive()
        pools.append(pool)
        books.append(book)
    return DialerRun(
        _chunk(world, tenant, calls, campaigns, books), attempts, pools, books, campaigns
    )


class _CampaignRun:
    def __init__(
        self,
        world: World,
        tenant: Tenant,
        campaign: Campaign,
        pool: AgentPool,
        book: ContactBook,
        draws: _Draws,
        contact_clocks: list[LocalClock],
        attempts: Attempts,
        calls: _CallCols,
    ) -> None:
        self.world, self.tenant, self.campaign = world, tenant, campaign
        self.pool, self.book, self.draws = pool, book, draws
        self.contact_clocks = contact_clocks
        self.attempts, self.calls = attempts, calls
        self.counter = 0
        self.k = 0  # next draw
        outages = world.incidents.of_kind("carrier_outage")
        self.outages = [(i.carrier, i.start_us, i.end_us) for i in outages]

    # --- shared steps --------------------------------------------------------------------------
    def _record(
        self,
        contact: int,
        t_us: int,
        outcome: int,
        call: int = -1,
        agent: int = -1,
        disposition: int = -1,
        rpc: bool = False,
        converted: bool = False,
    ) -> None:
        a = self.attempts
        self.book.attempts[contact] += 1
        a.campaign.append(self.campaign.index)
        a.number.append(self.counter)
        self.counter += 1
        a.contact.append(contact)
        a.attempt_number.append(self.book.attempts[contact])
        a.mode.append(self.campaign.mode)
        a.outcome.append(outcome)
        a.disposition.append(disposition)
        a.rpc.append(rpc)
        a.converted.append(converted)
        a.call.append(call)
        a.agent.append(agent)
        a.variant.append(self.book.variant[contact])
        a.t_us.append(t_us)

    def _screen(self, t_us: int) -> int | None:
        """Next contact that may be dialled at ``t_us``; blocked ones are recorded on the way.

        The dialer screens at most ``_SCREEN_PER_SLOT`` contacts per dial slot (it does not
        sweep the whole list when, say, everyone left is past curfew).
        """
        book = self.book
        for _ in range(_SCREEN_PER_SLOT):
            contact = book.next_due(t_us)
            if contact is None:
                return None
            if book.dnc[contact]:
                self._record(contact, t_us, BLOCKED_DNC)
                continue
            hour = self.contact_clocks[book.zone[contact]].hour_at(t_us / US_PER_S)
            if not CURFEW_START_H <= hour < CURFEW_END_H:
                self._record(contact, t_us, BLOCKED_CURFEW)
                # Due again at 09:30 in the contact's own time zone.
                wait_h = (9.5 - hour) % 24.0
                book.retry(contact, t_us + int(wait_h * _HOUR))
                continue
            return contact
        return None

    def _draw(self) -> int:
        k = self.k
        if k >= len(self.draws):
            self.draws.grow()
        self.k += 1
        return k

    def _dial(self, contact: int, t_us: int) -> tuple[int, int, int, int]:
        """Place a call. Returns (call index, outcome before agent matching, answer, end)."""
        k = self._draw()
        d = self.draws.lists
        u = d["u"][k]
        carrier = d["carrier"][k]
        pdd_us = d["pdd_ms"][k] * 1000
        out = any(c == carrier and s <= t_us < e for c, s, e in self.outages)
        answer = -1
        pdd = d["pdd_ms"][k]
        if out:
            outcome, cause, end, pdd = FAILED, CAUSE["NETWORK_OUT_OF_ORDER"], t_us + 400_000, -1
        else:
            asr = d["asr"][k] * (0.92 if self.book.attempts[contact] else 1.0)
            p_person = _P_PERSON * asr
            p_machine = p_person + _P_MACHINE * asr
            p_no_answer = p_machine + _P_NO_ANSWER
            p_busy = p_no_answer + _P_BUSY
            if u[0] < p_person:
                outcome, cause = ANSWERED, CAUSE["NORMAL_CLEARING"]
                answer = t_us + pdd_us + d["ring_us"][k]
                end = answer  # set when the agent (or nobody) takes the call
            elif u[0] < p_machine:
                outcome, cause = VOICEMAIL, CAUSE["NORMAL_CLEARING"]
                answer = t_us + pdd_us + d["ring_us"][k]
                # Answering-machine detection hangs up, or the dialer leaves a message.
                end = answer + int((3 + 22 * (u[1] < 0.3) + 4 * u[2]) * US_PER_S)
            elif u[0] < p_no_answer:
                cancel = u[1] < 0.7
                outcome = NO_ANSWER
                cause = CAUSE["ORIGINATOR_CANCEL"] if cancel else CAUSE["NO_ANSWER"]
                end = t_us + pdd_us + int((25 + 10 * u[2]) * US_PER_S)
            elif u[0] < p_busy:
                outcome, cause = BUSY, CAUSE["USER_BUSY"]
                end = t_us + pdd_us + int((0.5 + u[2]) * US_PER_S)
            else:
                outcome = FAILED
                cause = (
                    CAUSE["UNALLOCATED_NUMBER"]
                    if u[1] < 0.6
                    else CAUSE["NORMAL_TEMPORARY_FAILURE"]
                    if u[1] < 0.85
                    else CAUSE["CALL_REJECTED"]
                )
                end, pdd = t_us + pdd_us, -1
        call = self.calls.add(
            campaign=self.campaign.index,
            contact=contact,
            start=t_us,
            answer=answer,
            end=end,
            cause=cause,
            sip=-1,
            carrier=carrier,
            trunk=d["trunk"][k],
            codec=d["codec"][k] if answer >= 0 else -1,
            agent=-1,
            pdd=pdd,
            wrap=0,
            owner=self.campaign.owner,
            draw=k,
        )
        return call, outcome, answer, end

    def _connect(self, call: int, contact: int, t_us: int, sid: int) -> int:
        """A person answered and an agent took the call: talk, disposition, retry planning."""
        k = self.calls.cols["draw"][call]
        d = self.draws.lists
        u = d["u"][k]
        answer = self.calls.cols["answer"][call]
        rpc = u[3] < 0.72
        converted = rpc and u[4] < self.campaign.conversion[self.book.variant[contact]]
        if converted:
            disposition, talk = SALE, int(d["talk_rpc_us"][k] * 1.4)
        elif rpc:
            disposition = CALLBACK if u[5] < 0.2 else DO_NOT_CALL if u[5] > 0.93 else NOT_INTERESTED
            talk = d["talk_rpc_us"][k]
        else:
            disposition, talk = WRONG_PARTY, d["talk_other_us"][k]
        end = answer + talk
        wrap = d["wrap_s"][k]
        self.pool.serve(sid, answer, end, end + wrap * US_PER_S, call)
        agent = self.pool.shifts[sid].agent
        cols = self.calls.cols
        cols["end"][call], cols["agent"][call], cols["wrap"][call] = end, agent, wrap
        self._record(contact, t_us, ANSWERED, call, agent, disposition, rpc, converted)
        if disposition == CALLBACK:
            self.book.retry(contact, t_us + _DAY)
        return end + wrap * US_PER_S

    def _unanswered(self, contact: int, t_us: int, call: int, outcome: int, end: int) -> None:
        self._record(contact, t_us, outcome, call)
        if outcome == ABANDONED:
            return
        delay = (
            _DAY
            if outcome in (VOICEMAIL, FAILED)
            else int((2 + 2 * self.draws.lists["u"][self.calls.cols["draw"][call]][5]) * _HOUR)
        )
        self.book.retry(contact, end + delay)

    # --- modes -----------------------------------------------------------------------------------
    def progressive(self) -> None:
        """Each ready agent dials one contact and waits for the outcome."""
        pool = self.pool
        while True:
            got = pool.available(0)
            if got is None:
                return
            sid, t = got
            contact = self._screen(t)
            if contact is None:
                # Nothing to dial now: wait for the next retry to fall due (or the shift's end).
                due = self.book.next_retry_at()
                idle_until = pool.shifts[sid].end_us if due is None else due
                pool.defer(sid, max(t + 60 * US_PER_S, idle_until))
                continue
            call, outcome, _answer, end = self._dial(contact, t)
            if outcome == ANSWERED:
                self._connect(call, contact, t, sid)
            else:
                self._unanswered(contact, t, call, outcome, end)
                pool.defer(sid, end + 3 * US_PER_S)

    def predictive(self, rng: np.random.Generator, sessions: list[tuple[int, int]]) -> None:
        """Dial at a pace ahead of the agents; connect answered people to free agents."""
        pace = predictive_pace(round(self.campaign.agent_hours / 8.0))
        times: list[int] = []
        for begin, end in sessions:
            span_s = (end - begin) / US_PER_S
            count = rng.poisson(pace * span_s)
            times.extend((begin + rng.random(count) * (end - begin)).astype(np.int64).tolist())
        times.sort()
        answered: list[tuple[int, int, int, int]] = []  # answer time, call, contact, dial time
        for t in times:
            contact = self._screen(t)
            if contact is None:
                continue
            call, outcome, answer, end = self._dial(contact, t)
            if outcome == ANSWERED:
                answered.append((answer, call, contact, t))
            else:
                self._unanswered(contact, t, call, outcome, end)
        answered.sort()
        pool = self.pool
        for answer, call, contact, t in answered:
            got = pool.available(answer)
            if got is not None and got[1] == answer:
                self._connect(call, contact, t, got[0])
            else:
                # Nobody free: the person hears silence and the dialer drops the call.
                drop = answer + int(
                    (1.0 + 2.0 * self.draws.lists["u"][self.calls.cols["draw"][call]][5]) * US_PER_S
                )
                self.calls.cols["end"][call] = drop
                self._unanswered(contact, t, call, ABANDONED, drop)


def _chunk(
    world: World,
    tenant: Tenant,
    calls: _CallCols,
    campaigns: list[Campaign],
    books: list[ContactBook],
) -> CallChunk:
    cols = {name: np.asarray(values, dtype=np.int64) for name, values in calls.cols.items()}
    n = len(cols["start"])
    by_index = {c.index: k for k, c in enumerate(campaigns)}
    numbers = [
        books[by_index[c]].numbers[p]
        for c, p in zip(cols["campaign"], cols["contact"], strict=True)
    ]
    callers = [campaigns[by_index[c]].caller_id for c in cols["campaign"]]
    network = world.network
    dest = np.full(n, tenant.country_index)
    chunk = CallChunk.build(
        n,
        call_id=uuid4_strings(world.streams.rng("call_ids", SOURCE_DIALER, tenant.index), n),
        from_number=pa.array(callers, pa.string()),
        to_number=pa.array(numbers, pa.string()),
        tenant=tenant.index,
        direction=OUTBOUND,
        start_us=cols["start"],
        answer_us=cols["answer"],
        end_us=cols["end"],
        cause=cols["cause"],
        sip=DEFAULT_SIP[cols["cause"]],
        customer=cols["owner"],
        carrier=cols["carrier"],
        trunk=cols["trunk"],
        route=network.routes(dest, cols["carrier"]) if n else np.empty(0, np.int64),
        codec=cols["codec"],
        agent=cols["agent"],
        campaign=cols["campaign"],
        wrap_s=cols["wrap"],
        pdd_ms=cols["pdd"],
    )
    billsec = chunk.billsec
    chunk.cost_micros = network.outbound_cost_micros(billsec, dest, chunk.carrier)
    chunk.price_micros = price_micros(billsec, customer_rate_per_min(dest, tenant.markup))
    return chunk


def attempts_table(
    world: World,
    attempts: Attempts,
    call_ids: pa.Array,
    books: dict[int, ContactBook],
    tenant_of_campaign: dict[int, int],
    rng: np.random.Generator,
) -> pa.Table:
    """``attempts.call`` must already hold global call indices (or -1)."""
    campaign = np.asarray(attempts.campaign, dtype=np.int64)
    n = len(campaign)
    campaign_ids = codes_to_strings(world.campaign_ids, campaign)
    number = np.asarray(attempts.number, dtype=np.int64)
    contact = np.asarray(attempts.contact, dtype=np.int64)
    attempt_ids = pc.binary_join_element_wise(
        campaign_ids, _digits(number, "a", 6), pa.scalar("-", pa.string())
    )
    contact_ids = pc.binary_join_element_wise(
        campaign_ids, _digits(contact, "ct", 6), pa.scalar("-", pa.string())
    )
    numbers = [
        books[c].numbers[p] for c, p in zip(campaign.tolist(), contact.tolist(), strict=True)
    ]
    call = np.asarray(attempts.call, dtype=np.int64)
    tenant = np.array([tenant_of_campaign[c] for c in campaign.tolist()], dtype=np.int64)
    columns = {
        "tenant_id": codes_to_strings([t.tenant_id for t in world.tenants], tenant),
        "occurred_at": timestamps(
            np.asarray(attempts.t_us, np.int64) + world.window.start_epoch_us
        ),
        "campaign_id": campaign_ids,
        "attempt_id": attempt_ids,
        "contact_id": contact_ids,
        "to_number": pa.array(numbers, pa.string()),
        "attempt_number": np.asarray(attempts.attempt_number, np.int64),
        "dial_mode": codes_to_strings(DIAL_MODES, np.asarray(attempts.mode)),
        "outcome": codes_to_strings(OUTCOMES, np.asarray(attempts.outcome)),
        "disposition": codes_to_strings(DISPOSITIONS, np.asarray(attempts.disposition)),
        "right_party_contact": pa.array(attempts.rpc, pa.bool_()),
        "converted": pa.array(attempts.converted, pa.bool_()),
        "call_id": call_ids.take(pa.array(np.where(call < 0, 0, call), mask=call < 0))
        if n
        else pa.array([], pa.string()),
        "agent_id": codes_to_strings(world.agent_ids, np.asarray(attempts.agent)),
        "variant": codes_to_strings(VARIANTS, np.asarray(attempts.variant)),
    }
    return build_table("campaign", columns, rng)


def _digits(values: np.ndarray, prefix: str, width: int) -> pa.Array:
    if len(values) == 0:
        return pa.array([], pa.string())
    return prefixed_numbers(prefix, values, width)
