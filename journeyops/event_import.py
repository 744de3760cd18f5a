"""`journeyops import FILE`: a file of events through the ingestion use case, batch by batch
(each batch one transaction), with a progress bar and every bad line reported by number."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from domain.event import service as event_service
from domain.workspace import service as workspace_service
from infrastructure.folding import fold_pending
from infrastructure.runtime import Runtime
from infrastructure.settings import Settings
from journeyops import event_file


@dataclass
class Totals:
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0


def _report(number: int, reason: str, message: str) -> None:
    typer.secho(f"line {number}: {reason}: {message}", fg="yellow", err=True)


async def import_file(
    settings: Settings, path: Path, workspace_name: str, fmt: str | None, batch_size: int
) -> Totals:
    try:
        fmt = event_file.file_format(path, fmt)
    except event_file.LineError as error:
        raise ValueError(str(error)) from None
    # Nothing folds while the import runs: it folds everything itself once done.
    runtime = Runtime.create(settings.model_copy(update={"web_fold": False}))
    totals = Totals()
    try:
        async with runtime.transaction() as session:
            workspace = await workspace_service.get_by_name(session, name=workspace_name)
        if workspace is None:
            raise ValueError(f"No workspace called “{workspace_name}”; check the name.")

        async def flush(batch: list[tuple[int, dict[str, Any]]]) -> None:
            async with runtime.transaction() as session:
                result = await event_service.ingest(
                    session, workspace_id=workspace.id, events=[event for _, event in batch]
                )
            totals.accepted += result.accepted
            totals.duplicates += result.duplicates
            for item in result.results:
                if item.reason is not None:
                    totals.rejected += 1
                    _report(batch[item.index][0], item.reason.value, item.message or "")

        with typer.progressbar(
            length=event_file.count_lines(path), label="importing", file=None
        ) as bar:
            batch: list[tuple[int, dict[str, Any]]] = []
            done = 0
            for number, item in event_file.read(path, fmt):
                if isinstance(item, event_file.LineError):
                    totals.rejected += 1
                    _report(number, "unreadable", str(item))
                else:
                    batch.append((number, item))
                if len(batch) >= batch_size:
                    await flush(batch)
                    batch = []
                bar.update(number - done)
                done = number
            if batch:
                await flush(batch)
            bar.update(max(0, bar.length - done))
        await fold_pending(runtime.db)  # metrics include the import when it returns
    finally:
        await runtime.close()
    return totals
