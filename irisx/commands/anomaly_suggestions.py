"""``irisx anomalies suggestions list|approve|reject``: the remediation suggestions the anomaly
pipeline recorded, and their approval.

Approving or rejecting only records the decision (who, when, an optional note) in
``<data_dir>/remediation.sqlite3``; IRISX never executes a suggestion. These commands join the
``anomalies`` group that ``irisx/commands/anomalies.py`` creates (registered before this module
in cli.COMMAND_MODULES).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from warehouse.remediation import RemediationStore, Suggestion


def _store() -> RemediationStore:
    from config import get_settings
    from warehouse.remediation import RemediationStore, remediation_db_path

    return RemediationStore(remediation_db_path(get_settings().data_dir))


def _document(suggestion: Suggestion) -> dict[str, object]:
    return {
        "suggestion_id": suggestion.suggestion_id,
        "tenant_id": suggestion.tenant_id,
        "incident_id": suggestion.incident_id,
        "rule": suggestion.rule,
        "action": suggestion.action,
        "target": suggestion.target,
        "description": suggestion.description,
        "created_at": suggestion.created_at.isoformat(),
        "state": suggestion.state.value,
        "decided_by": suggestion.decided_by,
        "decided_at": None if suggestion.decided_at is None else suggestion.decided_at.isoformat(),
        "note": suggestion.note,
    }


def _decide(suggestion_id: str, approve: bool, by: str, note: str | None) -> None:
    from warehouse.remediation import (
        SuggestionAlreadyDecided,
        SuggestionNotFound,
        SuggestionState,
    )

    state = SuggestionState.APPROVED if approve else SuggestionState.REJECTED
    try:
        decided = _store().decide(suggestion_id, state, by=by, note=note)
    except (SuggestionNotFound, SuggestionAlreadyDecided, ValueError) as error:
        typer.echo(f"error: {error.args[0]}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(json.dumps(_document(decided)))


def register(app: typer.Typer) -> None:
    group = next((g.typer_instance for g in app.registered_groups if g.name == "anomalies"), None)
    if group is None:  # anomalies.py not registered: give the commands their own group
        group = typer.Typer(help="Anomaly detection on time series.", no_args_is_help=True)
        app.add_typer(group, name="anomalies")
    suggestions_app = typer.Typer(
        help="Remediation suggestions of incidents: list, approve, reject (never executed).",
        no_args_is_help=True,
    )

    @suggestions_app.command("list")
    def list_command(
        tenant: Annotated[str | None, typer.Option(help="Only this tenant")] = None,
        state: Annotated[
            str | None, typer.Option(help="Only this state: pending | approved | rejected")
        ] = None,
    ) -> None:
        """Print the suggestions as JSON lines, oldest first."""
        from warehouse.remediation import SuggestionState

        try:
            wanted = None if state is None else SuggestionState(state)
        except ValueError:
            raise typer.BadParameter(
                f"{state!r} is not one of pending, approved, rejected", param_hint="--state"
            ) from None
        for suggestion in _store().list(tenant_id=tenant, state=wanted):
            typer.echo(json.dumps(_document(suggestion)))

    @suggestions_app.command("approve")
    def approve_command(
        suggestion_id: Annotated[str, typer.Argument(help="The suggestion's id")],
        by: Annotated[str, typer.Option(help="Who approves (recorded)")],
        note: Annotated[str | None, typer.Option(help="Why, or what to act on")] = None,
    ) -> None:
        """Record the approval of a pending suggestion (nothing is executed)."""
        _decide(suggestion_id, True, by, note)

    @suggestions_app.command("reject")
    def reject_command(
        suggestion_id: Annotated[str, typer.Argument(help="The suggestion's id")],
        by: Annotated[str, typer.Option(help="Who rejects (recorded)")],
        note: Annotated[str | None, typer.Option(help="Why")] = None,
    ) -> None:
        """Record the rejection of a pending suggestion."""
        _decide(suggestion_id, False, by, note)

    group.add_typer(suggestions_app, name="suggestions")
