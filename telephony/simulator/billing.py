"""Subscription billing of each tenant's customers, from two years before the window to its end.

A customer subscribes to a plan (monthly or yearly, some per seat, some discounted, some after a
14-day trial), is invoiced each period (most invoices are paid; failed ones go through dunning
steps and are recovered or end in cancellation), upgrades, downgrades or changes seats, may
cancel (churn) and sometimes comes back (reactivation, same subscription id). Some customers
have a WhatsApp add-on, prepaid credit top-ups and promotional credits that expire.

Invariant: after ``subscription_cancelled`` no event of that subscription follows until its
``subscription_reactivated``. The customers' active days also steer the traffic generators.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa

from telephony.simulator.clock import SECONDS_PER_DAY, US_PER_S
from telephony.simulator.identifiers import codes_to_strings
from telephony.simulator.tenants import Plan, Tenant
from telephony.simulator.wire import build_table, floats, ints, money, timestamps
from telephony.simulator.world import World

DAY_US = SECONDS_PER_DAY * US_PER_S
HISTORY_DAYS = 730
EVENT_TYPES: tuple[str, ...] = (
    "subscription_created",
    "subscription_changed",
    "subscription_cancelled",
    "subscription_reactivated",
    "invoice_issued",
    "invoice_paid",
    "invoice_failed",
    "invoice_refunded",
    "credit_granted",
    "credit_used",
    "credit_expired",
    "dunning_step",
)
(
    CREATED,
    CHANGED,
    CANCELLED,
    REACTIVATED,
    ISSUED,
    PAID,
    FAILED,
    REFUNDED,
    GRANTED,
    USED,
    EXPIRED,
    DUNNING,
) = range(12)
_MONTHLY_CHURN = {0: 0.035, 1: 0.022, 2: 0.015, 3: 0.007}
_DUNNING_DAYS = (1, 3, 7, 14)
INVOICE_DELAY_US = 60 * US_PER_S


@dataclass
class _Event:
    t_us: int
    kind: int
    customer: int  # tenant-local
    subscription: str | None = None
    plan: Plan | None = None
    quantity: int = 1
    amount: float | None = None
    discount: float | None = None
    discount_amount: float | None = None
    trial_end: int | None = None
    period: tuple[int, int] | None = None
    invoice: str | None = None
    step: int | None = None
    reason: str | None = None


@dataclass
class _State:
    plan: Plan
    quantity: int
    discount: float | None


@dataclass
class BillingBook:
    """Billing events per tenant and each customer's active days within the window."""

    events: list[list[_Event]] = field(default_factory=list)
    active: list[np.ndarray] = field(default_factory=list)


class _TenantBilling:
    def __init__(self, world: World, tenant: Tenant, rng: np.random.Generator) -> None:
        self.world, self.tenant, self.rng = world, tenant, rng
        self.end_us = world.window.end_us
        self.events: list[_Event] = []
        self.invoices = 0
        self.active = np.zeros((len(tenant.customer_ids), world.window.days), dtype=bool)
        self.plans = {p.plan_id: p for p in tenant.plans}

    # --- helpers ---------------------------------------------------------------------------------
    def add_interval(self, t_us: int, interval: str) -> int:
        """Same day of month one month/year later (clamped to the month's last day)."""
        base = self.world.window.start_datetime + timedelta(microseconds=t_us)
        months = 12 if interval == "year" else 1
        month0 = base.month - 1 + months
        year, month = base.year + month0 // 12, month0 % 12 + 1
        day = min(base.day, calendar.monthrange(year, month)[1])
        moved = datetime(
            year,
            month,
            day,
            base.hour,
            base.minute,
            base.second,
            base.microsecond,
            tzinfo=base.tzinfo,
        )
        return t_us + int((moved - base).total_seconds() * US_PER_S)

    def emit(self, event: _Event) -> None:
        if event.t_us < self.end_us:
            self.events.append(event)

    def mark_active(self, customer: int, begin: int, end: int) -> None:
        first = max(0, begin // DAY_US)
        last = min(self.world.window.days - 1, (min(end, self.end_us) - 1) // DAY_US)
        if last >= first and end > 0:
            self.active[customer, first : last + 1] = True

    def price(self, state: _State) -> float:
        gross = state.plan.amount * state.quantity
        return round(gross * (1 - (state.discount or 0) / 100), 2)

    def next_tier(self, plan: Plan, step: int) -> Plan:
        names = ("starter", "growth", "pro", "enterprise")
        tier = min(3, max(0, plan.tier + step))
        suffix = "yearly" if plan.interval == "year" else "monthly"
        return self.plans[f"{names[tier]}-{suffix}"]

    # --- one subscription ---------------------------------------------------------------------
    def subscription(
        self,
        customer: int,
        sub_id: str,
        state: _State,
        created: int,
        protected: bool,
        stop_at: int | None = None,
        can_trial: bool = True,
    ) -> int:
        """Simulate a subscription from ``created``; returns when it finally ended (or the end)."""
        rng = self.rng
        trial = (
            can_trial
            and state.plan.tier <= 1
            and state.plan.interval == "month"
            and (rng.random() < 0.3)
        )
        trial_end = created + 14 * DAY_US if trial else None
        self.emit(
            _Event(
                created,
                CREATED,
                customer,
                sub_id,
                state.plan,
                state.quantity,
                state.plan.amount,
                state.discount,
                trial_end=trial_end,
            )
        )
        period_start = trial_end if trial_end is not None else created
        limit = self.end_us if stop_at is None else min(stop_at, self.end_us)
        if trial_end is not None and not protected and rng.random() < 0.35:
            self.cancel(customer, sub_id, min(trial_end, limit), "trial_expired")
            self.mark_active(customer, created, min(trial_end, limit))
            return min(trial_end, limit)
        active_from = created
        while period_start < limit:
            period_end = self.add_interval(period_start, state.plan.interval)
            months = 12 if state.plan.interval == "year" else 1
            # Voluntary churn in this period (yearly plans churn at renewal time).
            churn_p = 0.0 if protected else 1 - (1 - _MONTHLY_CHURN[state.plan.tier]) ** months
            churn_at = None
            if rng.random() < churn_p:
                churn_at = period_start + int(rng.uniform(0.05, 0.95) * (period_end - period_start))
            if stop_at is not None and stop_at < period_end:
                churn_at = stop_at if churn_at is None else min(churn_at, stop_at)
            ended = self.invoice_period(
                customer, sub_id, state, period_start, period_end, churn_at, protected
            )
            if ended is not None:  # dunning failed: involuntary churn
                self.mark_active(customer, active_from, ended)
                comeback = self.maybe_reactivate(customer, sub_id, state, ended, protected)
                if comeback is None:
                    return ended
                active_from, period_start = comeback, comeback
                continue
            if churn_at is not None and churn_at < limit:
                reason = (
                    "parent_cancelled"
                    if stop_at == churn_at
                    else str(
                        rng.choice(
                            [
                                "too_expensive",
                                "switched_provider",
                                "no_longer_needed",
                                "missing_features",
                            ]
                        )
                    )
                )
                self.cancel(customer, sub_id, churn_at, reason)
                self.mark_active(customer, active_from, churn_at)
                if reason == "parent_cancelled":
                    return churn_at
                comeback = self.maybe_reactivate(customer, sub_id, state, churn_at, protected)
                if comeback is None:
                    return churn_at
                active_from, period_start = comeback, comeback
                continue
            self.maybe_change(customer, sub_id, state, period_start, period_end)
            period_start = period_end
        self.mark_active(customer, active_from, limit)
        return limit

    def invoice_period(
        self,
        customer: int,
        sub_id: str,
        state: _State,
        start: int,
        end: int,
        churn_at: int | None,
        protected: bool,
    ) -> int | None:
        """Invoice one period; returns the cancellation time if dunning ends the subscription."""
        rng = self.rng
        self.invoices += 1
        invoice = f"{self.tenant.tenant_id}-in{self.invoices:06d}"
        amount = self.price(state)
        gross = round(state.plan.amount * state.quantity, 2)
        discount_amount = round(gross - amount, 2) if state.discount else None
        horizon = churn_at if churn_at is not None else end
        if start + INVOICE_DELAY_US >= horizon:
            return None
        # Invoices are finalised a minute into their period (after the subscription event).
        self.emit(
            _Event(
                start + INVOICE_DELAY_US,
                ISSUED,
                customer,
                sub_id,
                state.plan,
                state.quantity,
                amount,
                state.discount,
                discount_amount,
                period=(start, end),
                invoice=invoice,
            )
        )
        if rng.random() < 0.93:
            paid_at = start + int(rng.uniform(0.01, 2.0) * DAY_US)
            if paid_at < horizon:
                self.emit(
                    _Event(
                        paid_at,
                        PAID,
                        customer,
                        sub_id,
                        amount=amount,
                        invoice=invoice,
                        period=(start, end),
                    )
                )
                if rng.random() < 0.012:
                    refund_at = paid_at + int(rng.uniform(1, 20) * DAY_US)
                    if refund_at < horizon:
                        share = 1.0 if rng.random() < 0.6 else float(rng.uniform(0.2, 0.8))
                        self.emit(
                            _Event(
                                refund_at,
                                REFUNDED,
                                customer,
                                sub_id,
                                amount=round(amount * share, 2),
                                invoice=invoice,
                                reason=str(rng.choice(["service_issue", "duplicate_charge"])),
                            )
                        )
            return None
        failed_at = start + int(rng.uniform(0.02, 0.2) * DAY_US)
        if failed_at >= horizon:
            return None
        self.emit(
            _Event(
                failed_at,
                FAILED,
                customer,
                sub_id,
                amount=amount,
                invoice=invoice,
                reason=str(rng.choice(["card_declined", "insufficient_funds", "expired_card"])),
            )
        )
        for step, days in enumerate(_DUNNING_DAYS, start=1):
            at = failed_at + days * DAY_US
            if at >= horizon:
                return None
            self.emit(
                _Event(
                    at,
                    DUNNING,
                    customer,
                    sub_id,
                    amount=amount,
                    invoice=invoice,
                    step=step,
                    reason="payment_retry",
                )
            )
            if protected or rng.random() < 0.35:
                recovered_at = at + int(rng.uniform(0.01, 0.5) * DAY_US)
                if recovered_at < horizon:
                    self.emit(
                        _Event(
                            recovered_at,
                            PAID,
                            customer,
                            sub_id,
                            amount=amount,
                            invoice=invoice,
                            period=(start, end),
                        )
                    )
                return None
        cancel_at = failed_at + (_DUNNING_DAYS[-1] + 1) * DAY_US
        if cancel_at >= horizon:
            return None
        self.cancel(customer, sub_id, cancel_at, "payment_failed")
        return cancel_at

    def cancel(self, customer: int, sub_id: str, at: int, reason: str) -> None:
        self.emit(_Event(at, CANCELLED, customer, sub_id, reason=reason))

    def maybe_reactivate(
        self, customer: int, sub_id: str, state: _State, ended: int, protected: bool
    ) -> int | None:
        rng = self.rng
        if protected or rng.random() > 0.2:
            return None
        at = ended + int(rng.uniform(20, 240) * DAY_US)
        if at >= self.end_us:
            return None
        if state.plan.tier > 0 and rng.random() < 0.4:
            state.plan = self.next_tier(state.plan, -1)
        self.emit(
            _Event(
                at,
                REACTIVATED,
                customer,
                sub_id,
                state.plan,
                state.quantity,
                state.plan.amount,
                state.discount,
                reason="win_back",
            )
        )
        return at

    def maybe_change(self, customer: int, sub_id: str, state: _State, start: int, end: int) -> None:
        rng = self.rng
        at = start + int(rng.uniform(0.1, 0.9) * (end - start))
        if state.plan.plan_id.startswith("whatsapp-addon"):
            return  # add-ons have a single price
        if state.plan.per_seat:
            if rng.random() < 0.10:
                delta = int(rng.integers(1, 6)) if rng.random() < 0.65 else -int(rng.integers(1, 4))
                state.quantity = max(1, state.quantity + delta)
                reason = "seats_added" if delta > 0 else "seats_removed"
            else:
                return
        else:
            u = rng.random()
            if u < 0.025 and state.plan.tier < 3:
                state.plan, reason = self.next_tier(state.plan, +1), "upgrade"
            elif u < 0.037 and state.plan.tier > 0:
                state.plan, reason = self.next_tier(state.plan, -1), "downgrade"
            else:
                return
        self.emit(
            _Event(
                at,
                CHANGED,
                customer,
                sub_id,
                state.plan,
                state.quantity,
                state.plan.amount,
                state.discount,
                reason=reason,
            )
        )

    # --- credits ---------------------------------------------------------------------------------
    def credits(self, customer: int, begin: int, end: int) -> None:
        rng = self.rng
        if rng.random() < 0.4 and begin < end:
            promo = float(rng.choice([25.0, 50.0, 100.0]))
            self.emit(_Event(begin, GRANTED, customer, amount=promo, reason="promo"))
            used = round(promo * float(rng.uniform(0, 1)), 2)
            use_at = begin + int(rng.uniform(3, 60) * DAY_US)
            if used > 0 and use_at < end:
                self.emit(_Event(use_at, USED, customer, amount=used, reason="usage"))
            else:
                used = 0.0
            expire_at = begin + 90 * DAY_US
            if promo - used > 0 and expire_at < end:
                self.emit(
                    _Event(
                        expire_at,
                        EXPIRED,
                        customer,
                        amount=round(promo - used, 2),
                        reason="promo_expired",
                    )
                )
        if rng.random() < 0.3:
            t = begin + int(rng.uniform(1, 30) * DAY_US)
            while t < end:
                top_up = float(rng.choice([100.0, 250.0, 500.0, 1000.0]))
                self.emit(_Event(t, GRANTED, customer, amount=top_up, reason="top_up"))
                for week in range(4):
                    at = t + (week + 1) * 7 * DAY_US
                    if at < end:
                        self.emit(
                            _Event(
                                at,
                                USED,
                                customer,
                                amount=round(top_up * float(rng.uniform(0.15, 0.25)), 2),
                                reason="usage",
                            )
                        )
                t += int(rng.uniform(25, 40) * DAY_US)

    # --- customers ----------------------------------------------------------------------------
    def run(self) -> None:
        rng = self.rng
        tenant = self.tenant
        n = len(tenant.customer_ids)
        protected_count = max(len(tenant.queues), min(8, n))
        new_from = int(n * 0.9)
        for c in range(n):
            protected = c < protected_count
            if c >= new_from and not protected:
                created = int(rng.uniform(0, 1) * self.end_us)
            else:
                created = -int(rng.uniform(1, HISTORY_DAYS) * DAY_US)
            if protected:
                plan = self.plans["cc-seat-monthly"] if c % 2 else self.plans["enterprise-monthly"]
                quantity = int(rng.integers(10, 81)) if plan.per_seat else 1
            else:
                tier = int(rng.choice(3, p=[0.45, 0.35, 0.2]))
                yearly = rng.random() < 0.2
                plan = self.next_tier(
                    self.plans["starter-yearly" if yearly else "starter-monthly"], tier
                )
                quantity = 1
            discount = float(rng.choice([10.0, 15.0, 20.0, 25.0])) if rng.random() < 0.15 else None
            customer_id = tenant.customer_ids[c]
            ended = self.subscription(
                c, f"{customer_id}-sub1", _State(plan, quantity, discount), created, protected
            )
            self.credits(c, created, ended)
            if rng.random() < 0.12:
                addon_at = created + int(rng.uniform(1, 200) * DAY_US)
                if addon_at < ended:
                    addon = _State(self.plans["whatsapp-addon-monthly"], 1, None)
                    self.subscription(
                        c,
                        f"{customer_id}-sub2",
                        addon,
                        addon_at,
                        protected,
                        stop_at=ended if ended < self.end_us else None,
                        can_trial=False,
                    )


def plan_billing(world: World) -> BillingBook:
    book = BillingBook()
    for tenant in world.tenants:
        billing = _TenantBilling(world, tenant, world.streams.rng("billing", tenant.index))
        billing.run()
        book.events.append(billing.events)
        book.active.append(billing.active)
    return book


def billing_table(world: World, book: BillingBook, ids: np.random.Generator) -> pa.Table:
    rows = [(tenant, e) for tenant, events in enumerate(book.events) for e in events]
    epoch = world.window.start_epoch_us

    def opt_ts(values: list[int | None]) -> pa.Array:
        array = np.array([v if v is not None else 0 for v in values], dtype=np.int64)
        return timestamps(array + epoch, np.array([v is None for v in values], dtype=bool))

    def opt_money(values: list[float | None]) -> pa.Array:
        micros = np.array([round(v * 1e6) if v is not None else 0 for v in values], np.int64)
        return money(micros, np.array([v is None for v in values], dtype=bool))

    events = [e for _, e in rows]
    tenant_index = np.array([t for t, _ in rows], dtype=np.int64)
    first_customer = np.array([world.tenants[t].first_customer for t, _ in rows], np.int64)
    subscription_rows = [e.kind in (CREATED, CHANGED, REACTIVATED) for e in events]
    plans = [e.plan if flag else None for e, flag in zip(events, subscription_rows, strict=True)]
    discount = [
        e.discount if flag else None for e, flag in zip(events, subscription_rows, strict=True)
    ]
    columns = {
        "tenant_id": codes_to_strings([t.tenant_id for t in world.tenants], tenant_index),
        "occurred_at": timestamps(np.array([e.t_us for e in events], np.int64) + epoch),
        "event_type": codes_to_strings(EVENT_TYPES, np.array([e.kind for e in events])),
        "customer_id": codes_to_strings(
            world.customer_ids, first_customer + np.array([e.customer for e in events], np.int64)
        ),
        "subscription_id": pa.array([e.subscription for e in events], pa.string()),
        "plan_id": pa.array([p.plan_id if p else None for p in plans], pa.string()),
        "interval": pa.array([p.interval if p else None for p in plans], pa.string()),
        "interval_count": ints(np.ones(len(events))),
        "quantity": ints(np.array([e.quantity for e in events])),
        "amount": opt_money([e.amount for e in events]),
        "currency": pa.array(
            [world.tenants[t].billing_currency(e.customer) for t, e in rows], pa.string()
        ),
        "discount_percent": floats(
            np.array([d if d is not None else 0.0 for d in discount]),
            np.array([d is None for d in discount], dtype=bool),
        ),
        "discount_amount": opt_money([e.discount_amount for e in events]),
        "trial_end": opt_ts([e.trial_end for e in events]),
        "period_start": opt_ts([e.period[0] if e.period else None for e in events]),
        "period_end": opt_ts([e.period[1] if e.period else None for e in events]),
        "invoice_id": pa.array([e.invoice for e in events], pa.string()),
        "dunning_step": pa.array([e.step for e in events], pa.int64()),
        "reason": pa.array([e.reason for e in events], pa.string()),
        "included_usage_amount": opt_money([p.included_usage if p else None for p in plans]),
    }
    return build_table("billing", columns, ids)
