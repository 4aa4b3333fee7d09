"""Tenants (the platform's clients), their customers (sub-accounts), queues and plan catalogue."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from telephony.simulator.geography import COUNTRIES, COUNTRY_INDEX, Country


@dataclass(frozen=True)
class QueueSpec:
    """An inbound ACD queue and the statistics of the calls it receives."""

    queue_id: str
    name: str
    share: float  # of the tenant's inbound calls
    talk_median_s: float
    talk_sigma: float
    hold_prob: float
    hold_median_s: float
    wrap_median_s: float
    patience_mean_s: float
    service_beta: float  # square-root staffing safety factor the planner uses
    intent: str  # most common reason for calling (transcripts)
    toll_free: bool

    @property
    def mean_handle_s(self) -> float:
        """Expected talk plus wrap-up seconds (lognormal means)."""
        talk = self.talk_median_s * np.exp(self.talk_sigma**2 / 2)
        wrap = self.wrap_median_s * np.exp(0.5**2 / 2)
        return float(talk + wrap)


@dataclass(frozen=True)
class Archetype:
    slug: str
    name: str
    country: str
    timezone: str
    inbound_share: float
    campaign_share: float
    queues: tuple[
        tuple[str, float, float, float, str], ...
    ]  # name, share, talk s, patience s, intent
    #: Currencies the tenant bills its customers in, customer i in entry i % len (billing.py).
    billing_currencies: tuple[str, ...] = ("USD",)


# fmt: off
ARCHETYPES: tuple[Archetype, ...] = (
    Archetype("acme-health", "Acme Health", "US", "America/New_York", 0.62, 0.10,
              (("appointments", 0.5, 190, 150, "appointment"),
               ("billing", 0.3, 260, 120, "billing_question"),
               ("nurse-line", 0.2, 420, 240, "medical_question"))),
    # A UK retailer billing half its customers in GBP and a quarter in EUR (rates: dbt seed
    # fx_rates), so MRR conversion runs on simulated data; list prices keep their numbers.
    Archetype("globex-retail", "Globex Retail", "GB", "Europe/London", 0.55, 0.15,
              (("orders", 0.6, 170, 110, "order_status"), ("returns", 0.4, 230, 120, "return")),
              billing_currencies=("USD", "GBP", "GBP", "EUR")),
    Archetype("initech-finance", "Initech Finance", "US", "America/Chicago", 0.50, 0.18,
              (("cards", 0.5, 240, 100, "card_issue"), ("loans", 0.3, 360, 160, "sales_inquiry"),
               ("fraud", 0.2, 300, 200, "fraud_report"))),
    Archetype("umbrella-logistics", "Umbrella Logistics", "DE", "Europe/Berlin", 0.45, 0.08,
              (("tracking", 0.7, 150, 90, "order_status"), ("claims", 0.3, 330, 150, "complaint"))),
    Archetype("stark-travel", "Stark Travel", "US", "America/Los_Angeles", 0.58, 0.12,
              (("reservations", 0.6, 300, 140, "booking"), ("changes", 0.4, 270, 120, "booking"))),
    Archetype("wayne-insurance", "Wayne Insurance", "AU", "Australia/Sydney", 0.60, 0.15,
              (("claims", 0.55, 380, 180, "claim"), ("policy", 0.45, 250, 130, "account_update"))),
    Archetype("hooli-edu", "Hooli Education", "IN", "Asia/Kolkata", 0.48, 0.20,
              (("admissions", 0.6, 280, 110, "sales_inquiry"),
               ("support", 0.4, 220, 100, "technical_issue"))),
    Archetype("soylent-foods", "Soylent Foods", "BR", "America/Sao_Paulo", 0.52, 0.12,
              (("orders", 0.65, 160, 100, "order_status"),
               ("complaints", 0.35, 260, 130, "complaint"))),
    Archetype("tyrell-energy", "Tyrell Energy", "ES", "Europe/Madrid", 0.57, 0.10,
              (("billing", 0.6, 270, 140, "billing_question"),
               ("outages", 0.4, 150, 90, "technical_issue"))),
    Archetype("wonka-telecom", "Wonka Telecom", "SG", "Asia/Singapore", 0.35, 0.10,
              (("support", 0.7, 240, 120, "technical_issue"),
               ("sales", 0.3, 210, 90, "sales_inquiry"))),
    Archetype("cyberdyne-security", "Cyberdyne Security", "CA", "America/Toronto", 0.55, 0.12,
              (("alarms", 0.5, 140, 60, "technical_issue"),
               ("accounts", 0.5, 230, 120, "account_update"))),
    Archetype("oscorp-pharma", "Oscorp Pharma", "FR", "Europe/Paris", 0.50, 0.10,
              (("pharmacovigilance", 0.4, 400, 200, "medical_question"),
               ("orders", 0.6, 200, 110, "order_status"))),
)
# fmt: on


@dataclass(frozen=True)
class Plan:
    plan_id: str
    tier: int  # 0 = smallest; upgrades move up a tier
    interval: str  # month | year
    amount: float  # per unit per interval, before discounts
    per_seat: bool = False
    #: usage allowance per month (overage above it); None: the plan includes no stated usage
    included_usage: float | None = None


@dataclass
class Tenant:
    index: int
    tenant_id: str
    name: str
    country: Country
    timezone: str
    size: float  # relative volume, mean 1 over tenants
    daily_calls: float
    daily_messages: float
    inbound_share: float
    campaign_share: float
    markup: float  # customer price / wholesale cost
    queues: list[QueueSpec]
    customer_ids: list[str]
    customer_weights: np.ndarray  # traffic share of each customer (Zipf-like)
    plans: list[Plan]
    first_customer: int = 0  # global index of customer 0 (set by the world)
    first_queue: int = 0
    extras: dict[str, object] = field(default_factory=dict)
    #: customer i is billed in billing_currencies[i % len] (subscriptions, invoices, credits)
    billing_currencies: tuple[str, ...] = ("USD",)

    def billing_currency(self, customer: int) -> str:
        """The currency tenant-local customer ``customer`` is billed in."""
        return self.billing_currencies[customer % len(self.billing_currencies)]

    @property
    def api_share(self) -> float:
        return max(0.0, 1.0 - self.inbound_share - self.campaign_share)

    @property
    def country_index(self) -> int:
        return COUNTRY_INDEX[self.country.key]


def tenant_sizes(count: int, rng: np.random.Generator) -> np.ndarray:
    """Relative sizes spanning about 5x, in a seeded order, with mean 1."""
    if count == 1:
        return np.ones(1)
    sizes = np.geomspace(1.0, 5.0, count)
    sizes = sizes[rng.permutation(count)]
    return sizes / sizes.mean()


def _plans(rng: np.random.Generator) -> list[Plan]:
    factor = float(rng.uniform(0.85, 1.25))

    def price(base: float) -> float:
        return float(round(base * factor))

    monthly = [("starter", 49.0), ("growth", 149.0), ("pro", 399.0), ("enterprise", 1200.0)]
    # Monthly usage allowances of the two upper tiers (per month on yearly plans too); the
    # lower tiers state none, so their overage stays unknown (NULL) in the marts.
    allowances = {"pro": 100.0, "enterprise": 400.0}
    plans = [
        Plan(
            f"{name}-monthly",
            tier,
            "month",
            price(amount),
            included_usage=price(allowances[name]) if name in allowances else None,
        )
        for tier, (name, amount) in enumerate(monthly)
    ]
    # Yearly plans: two months free.
    plans += [
        Plan(
            f"{name}-yearly",
            tier,
            "year",
            price(amount) * 10,
            included_usage=price(allowances[name]) if name in allowances else None,
        )
        for tier, (name, amount) in enumerate(monthly)
    ]
    plans.append(Plan("cc-seat-monthly", 1, "month", price(85.0), per_seat=True))
    plans.append(Plan("whatsapp-addon-monthly", 0, "month", price(29.0)))
    return plans


def build_tenants(
    count: int, scale: float, rng: np.random.Generator, messages_per_call: float = 0.8
) -> list[Tenant]:
    sizes = tenant_sizes(count, rng)
    tenants: list[Tenant] = []
    for index in range(count):
        archetype = ARCHETYPES[index % len(ARCHETYPES)]
        round_ = index // len(ARCHETYPES)
        slug = archetype.slug if round_ == 0 else f"{archetype.slug}-{round_ + 1}"
        size = float(sizes[index])
        queues = []
        for name, share, talk, patience, intent in archetype.queues:
            queues.append(
                QueueSpec(
                    queue_id=f"{slug}-{name}",
                    name=name,
                    share=share,
                    talk_median_s=talk * float(rng.uniform(0.9, 1.1)),
                    talk_sigma=float(rng.uniform(0.55, 0.75)),
                    hold_prob=float(rng.uniform(0.1, 0.3)),
                    hold_median_s=float(rng.uniform(25, 60)),
                    wrap_median_s=float(rng.uniform(15, 40)),
                    patience_mean_s=2.0 * patience * float(rng.uniform(0.85, 1.15)),
                    service_beta=float(rng.uniform(0.4, 0.9)),
                    intent=intent,
                    toll_free=archetype.country in ("US", "CA") and name != "nurse-line",
                )
            )
        n_customers = int(np.clip(round(60 * size * rng.uniform(0.8, 1.25)), 12, 220))
        ranks = np.arange(1, n_customers + 1, dtype=np.float64)
        weights = 1.0 / ranks**1.1
        country = COUNTRIES[COUNTRY_INDEX[archetype.country]]
        tenants.append(
            Tenant(
                index=index,
                tenant_id=slug,
                name=archetype.name if round_ == 0 else f"{archetype.name} {round_ + 1}",
                country=country,
                timezone=archetype.timezone,
                size=size,
                daily_calls=1000.0 * size * scale,
                daily_messages=1000.0 * size * scale * messages_per_call,
                inbound_share=archetype.inbound_share,
                campaign_share=archetype.campaign_share,
                markup=float(rng.uniform(1.35, 1.9)),
                queues=queues,
                customer_ids=[f"{slug}-cus{i:04d}" for i in range(n_customers)],
                customer_weights=weights / weights.sum(),
                plans=_plans(rng),
                billing_currencies=archetype.billing_currencies,
            )
        )
    return tenants
