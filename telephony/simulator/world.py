"""Everything the generators share: the window, tenants and their clocks, the carrier network,
the incident book, customers' activity, and the registries that codes in the output refer to."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from telephony.simulator.carriers import Network
from telephony.simulator.clock import LocalClock, Window
from telephony.simulator.config import SimulationConfig
from telephony.simulator.incidents import IncidentBook
from telephony.simulator.streams import Streams
from telephony.simulator.tenants import Tenant


@dataclass
class World:
    config: SimulationConfig
    window: Window
    streams: Streams
    network: Network
    tenants: list[Tenant]
    clocks: list[LocalClock]
    incidents: IncidentBook
    customer_ids: list[str] = field(default_factory=list)
    queue_ids: list[str] = field(default_factory=list)
    agent_ids: list[str] = field(default_factory=list)
    campaign_ids: list[str] = field(default_factory=list)
    #: Per tenant: bool matrix [customer, window day] -- the customer had a live subscription.
    customer_active: list[np.ndarray] = field(default_factory=list)

    def __post_init__(self) -> None:
        for tenant in self.tenants:
            tenant.first_customer = len(self.customer_ids)
            self.customer_ids.extend(tenant.customer_ids)
            tenant.first_queue = len(self.queue_ids)
            self.queue_ids.extend(q.queue_id for q in tenant.queues)

    def active_customers(self, tenant: Tenant, day: int) -> np.ndarray:
        """Traffic weights of the tenant's customers on a window day (0 when not subscribed)."""
        weights = tenant.customer_weights.copy()
        if self.customer_active:
            weights = weights * self.customer_active[tenant.index][:, day]
        total = weights.sum()
        return weights / total if total > 0 else tenant.customer_weights
