"""Property tests: random subscription histories through the MRR marts (DuckDB target).

For every generated history: mrr_by_customer_month equals an independent month-end evaluation
of the periods; the bridge closes every month; per customer the signed movements add up to the
as-of month's MRR; churn only where MRR reached 0. Each example is one dbt build of the revenue
models (a few seconds), so few examples with several tenants each.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from config import Settings
from ingest.subscriptions import read_subscription_periods
from pipelines.dbt_cli import run_dbt
from warehouse import ParquetLake
from warehouse.subscription_periods import replace_tenant_periods

AS_OF = dt.date(2024, 10, 15)
FIRST_DAY = dt.date(2023, 1, 1)
AMOUNTS = ("0", "5", "10", "12.5", "20", "99.99")

#: One period: (days after FIRST_DAY it starts, length in days or None = open, amount).
Period = tuple[int, int | None, str]


@st.composite
def subscription(draw: st.DrawFn) -> list[Period]:
    """Consecutive or gapped, never overlapping, periods of one subscription."""
    start = draw(st.integers(0, 700))
    periods: list[Period] = []
    for _ in range(draw(st.integers(1, 3))):
        length = draw(st.none() | st.integers(1, 200))
        periods.append((start, length, draw(st.sampled_from(AMOUNTS))))
        if length is None:
            break
        start += length + draw(st.sampled_from((0, 0, 1, 31, 90)))
    return periods


#: tenant -> customer -> subscriptions
histories = st.lists(
    st.lists(st.lists(subscription(), min_size=1, max_size=3), min_size=3, max_size=6),
    min_size=2,
    max_size=4,
)


def _csv(customers: list[list[list[Period]]]) -> str:
    lines = ["subscription_id,customer_id,start_date,end_date,monthly_amount"]
    for c, subscriptions in enumerate(customers):
        for s, periods in enumerate(subscriptions):
            for start, length, amount in periods:
                begin = FIRST_DAY + dt.timedelta(days=start)
                end = "" if length is None else str(begin + dt.timedelta(days=length))
                lines.append(f"c{c}-s{s},c{c},{begin},{end},{amount}")
    return "\n".join(lines) + "\n"


def _next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _expected_mrr(text: str) -> dict[tuple[str, dt.date], Decimal]:
    """MRR by (customer, month) at each month's end, from the CSV text, dense from each
    customer's first month with MRR > 0 to the as-of month."""
    rows = [line.split(",") for line in text.splitlines()[1:]]
    periods = [
        (
            customer,
            dt.date.fromisoformat(start),
            dt.date.fromisoformat(end) if end else None,
            Decimal(amount),
        )
        for _, customer, start, end, amount in rows
    ]
    first_month = min(start for _, start, _, _ in periods).replace(day=1)
    months = [first_month]
    while months[-1] < AS_OF.replace(day=1):
        months.append(_next_month(months[-1]))
    mrr: dict[tuple[str, dt.date], Decimal] = defaultdict(Decimal)
    for customer, start, end, amount in periods:
        for month in months:
            after = _next_month(month)  # active on the last day: start < after <= end
            if start < after and (end is None or end >= after):
                mrr[(customer, month)] += amount
    result: dict[tuple[str, dt.date], Decimal] = {}
    for customer in {customer for customer, _ in mrr}:
        active = [m for m in months if mrr.get((customer, m), Decimal(0)) > 0]
        if not active:
            continue
        for month in months:
            if month >= active[0]:
                result[(customer, month)] = mrr.get((customer, month), Decimal(0))
    return result


def _query(data_dir: Path, mart: str) -> list[dict[str, object]]:
    with duckdb.connect() as con:
        cursor = con.execute(f"select * from read_parquet('{data_dir}/marts/{mart}.parquet')")
        names = [column[0] for column in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    # No shrinking: each example is a dbt build, and the failing history is printed as found.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(histories)
def test_random_histories_close_and_match_month_end_mrr(
    tenants: list[list[list[list[Period]]]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = Settings(data_dir=root / "irisx")
        config.ensure_dirs()
        ParquetLake(config.lake_dir).initialize()
        texts = {f"t{index}": _csv(customers) for index, customers in enumerate(tenants)}
        for tenant, text in texts.items():
            result = read_subscription_periods(text.encode(), tenant_id=tenant, source="p.csv")
            assert result.rejects == []
            replace_tenant_periods(config.lake_dir, tenant, result.to_table(), result.import_id)
        completed = run_dbt(
            [
                "build",
                "--select",
                "+mrr_bridge",
                "--indirect-selection",
                "cautious",
                "--vars",
                f"{{as_of_date: '{AS_OF}'}}",
            ],
            config,
            target_path=root / "target",
        )
        assert completed.returncode == 0, (completed.stdout + completed.stderr)[-4000:]

        by_month = _query(config.data_dir, "mrr_by_customer_month")
        for tenant, text in texts.items():
            got = {
                (row["customer_id"], row["month"]): row["mrr"]
                for row in by_month
                if row["tenant_id"] == tenant
            }
            assert got == _expected_mrr(text), tenant

        for row in _query(config.data_dir, "mrr_bridge"):
            assert (
                row["opening_mrr"]
                + row["new_mrr"]
                + row["reactivation_mrr"]
                + row["expansion_mrr"]
                - row["contraction_mrr"]
                - row["churn_mrr"]
                == row["closing_mrr"]
            )

        final = {
            (row["tenant_id"], row["customer_id"]): row["mrr"]
            for row in by_month
            if row["month"] == AS_OF.replace(day=1)
        }
        net: dict[tuple[object, object], Decimal] = defaultdict(Decimal)
        for row in _query(config.data_dir, "mrr_movements"):
            sign = -1 if row["movement"] in ("contraction", "churn") else 1
            net[(row["tenant_id"], row["customer_id"])] += sign * row["amount"]
            assert row["amount"] > 0
            assert (row["movement"] == "churn") == (row["mrr"] == 0)
            if row["movement"] in ("new", "reactivation"):
                assert row["previous_mrr"] == 0
        assert dict(net) == final
