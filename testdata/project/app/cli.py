"""A typer CLI: its commands run in a process of their own, not on the server's loop."""

import asyncio
import time

import typer

from .jobs import export_all, rebuild_index, shared

cli = typer.Typer()


@cli.command()
def reindex():
    asyncio.run(rebuild_index())
    asyncio.run(shared())


@cli.command("export")
async def export():
    time.sleep(1)  # an async command: typer runs it in its own loop
    await export_all()
