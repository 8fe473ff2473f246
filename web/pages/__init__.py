"""The pages, one module per group: `home` (home page, health), `staff` (login, logout), `requests` (SOP 1: the
Kepala LPSE's request), `registrations` (SOP 2: the PPBJ's registration), `passwords` (setting a password once),
`tasks` (the staff inbox, a task with its form, a registration's review page), `monitor` (the managers' monitor),
`report` (the SOP compliance report); `access` and `documents` hold what several of them share."""

from aiohttp import web

from web.pages import home, monitor, passwords, registrations, report, requests, staff, tasks


def register(app: web.Application) -> None:
    """Add every page's routes."""
    for module in (home, staff, requests, registrations, passwords, tasks, monitor, report):
        app.add_routes(module.routes)
