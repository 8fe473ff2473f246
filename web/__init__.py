"""The people's web application: every person of both SOPs takes part in a browser (formal Indonesian).

Applicants (the Kepala LPSE, the PPBJ, the new Admin PPE) arrive through the links of their e-mails, staff (PM
LKPP, Admin PPE, managers) log in. The pages are the fixed paths of `web.md` (shared docs), built in
`workers.links`. The application talks to the engine only through the Zeebe gateway (gRPC, `pbj.commands.zeebe`)
and the Orchestration Cluster REST API `/v2` (`pbj.commands.rest`), plus the application store – so the same code
serves the embedded engine and Camunda 8.8 – and the applicants' steps are the very code paths of the `pbj
permohonan` / `pbj ppbj` commands (`pbj.commands.pemohon`).

Stack: **aiohttp** (server) and **Jinja2** (pages), both already dependencies of the project (the workers' HTTP
provisioning client, the engine's REST API, the e-mail templates) and both maintained. aiohttp lets the application
run in the engine's own event loop under `pbj up` and as its own service (`pbj web`); the pages are rendered on the
server and work without JavaScript – except the staff's task form, which is the deployed Camunda Form rendered by
bpmn.io's form-js, built from the pinned npm lockfile by `make install` and served locally. A framework such as
Django or FastAPI would add a second server stack and ORM conventions for a dozen pages; nothing here needs them.

Modules: `settings` (the environment, once), `app` (the application, its middlewares and page rendering), `pages/`
(one module per group of pages), `sessions` (browser sessions), `security` (headers, CSRF, rate limits), `forms`
and `uploads` (checking what is posted), `process` (where a request is, read from the REST API), `passwords`
(argon2 for staff), `server` (running it), `errors` (the one exception base, `WebError`).
"""
