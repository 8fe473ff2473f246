"""docker-compose.yml, deploy/stack.yml, compose.env and the workers' Dockerfile, checked without Docker.

The Compose files are validated against the Compose Specification's JSON schema as the PyPI package
check-jsonschema ships it (`check_jsonschema/builtin_schemas/vendor/compose-spec.json`, pinned in the `dev` extra),
before and after the variables are filled in from compose.env the way Compose does it. The other checks are the
stack's own rules: exact image versions, health checks, healthy dependencies, no secret written down.
"""

import hashlib
import importlib.metadata
import re
import tomllib
from collections.abc import Iterator, Mapping
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML

from workers.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
VERSIONS_FILE = ROOT / "compose.env"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

SERVICES = {"camunda", "elasticsearch", "postgres", "mailpit", "workers", "web"}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|CREDENTIAL|PRIVATE_KEY|API_KEY", re.IGNORECASE)
LOCAL_ONLY_MARK = "local-only"
# `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?error}`, `${NAME?error}`, `${NAME:+alt}`, `$NAME`; `$$` is
# a literal dollar. Defaults may hold further variables (not used here, so not supported).
VARIABLE = re.compile(
    r"\$\$|\$\{(?P<braced>[A-Za-z_]\w*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}|\$(?P<plain>[A-Za-z_]\w*)"
)
# Registry, repository and a tag of at least MAJOR.MINOR.PATCH (an optional `v`, an optional `-variant`).
PINNED_TAG = re.compile(r"^v?\d+\.\d+\.\d+(?:-[a-z0-9.]+)?$")
# Images whose upstream numbers releases MAJOR.MINOR: that is their full version.
TWO_PART_VERSIONS = {"postgres"}
TWO_PART_TAG = re.compile(r"^\d+\.\d+(?:-[a-z0-9.]+)?$")


# --- reading the files the way Compose does --------------------------------------------------------------------


def load_yaml(path: Path) -> Any:
    """A YAML file as plain data (YAML 1.2, like Compose's parser)."""
    return YAML(typ="safe", pure=True).load(path.read_text())


def read_env_file(path: Path) -> dict[str, str]:
    """The `NAME=value` lines of an env file (comments and blank lines skipped)."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        name, sep, value = stripped.partition("=")
        assert sep, f"{path.name}: {line!r} is not NAME=value"
        values[name.strip()] = value.strip()
    return values


def strings_in(node: Any) -> Iterator[str]:
    """Every string (keys and values) in a YAML document."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for key, value in node.items():
            yield from strings_in(key)
            yield from strings_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings_in(item)


def variables_in(text: str) -> set[str]:
    """The names of the variables a string refers to."""
    return {m["braced"] or m["plain"] for m in VARIABLE.finditer(text) if m.group() != "$$"}


def interpolate(node: Any, env: Mapping[str, str]) -> Any:
    """`node` with every variable replaced from `env` following Compose's rules; `$$` becomes `$`."""
    if isinstance(node, Mapping):
        return {interpolate(key, env): interpolate(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate(item, env) for item in node]
    if not isinstance(node, str):
        return node

    def substitute(match: re.Match[str]) -> str:
        if match.group() == "$$":
            return "$"
        name = match["braced"] or match["plain"]
        value, op, arg = env.get(name), match["op"] or "", match["arg"] or ""
        empty = value is None or (op.startswith(":") and value == "")
        if op.endswith("-"):
            return arg if empty else str(value)
        if op.endswith("?"):
            if empty:
                raise LookupError(f"{name}: {arg}")
            return str(value)
        if op.endswith("+"):
            return "" if empty else arg
        return value or ""

    return VARIABLE.sub(substitute, node)


@cache
def compose_model() -> tuple[dict[str, Any], list[tuple[Path, dict[str, Any], dict[str, str]]]]:
    """The top-level file and, for each file it includes, its raw content and the variables Compose gives it."""
    top = load_yaml(COMPOSE_FILE)
    included = []
    for entry in top.get("include", []):
        item = {"path": entry} if isinstance(entry, str) else entry
        paths = [item["path"]] if isinstance(item["path"], str) else item["path"]
        env_files = item.get("env_file", [])
        env: dict[str, str] = {}
        for env_file in [env_files] if isinstance(env_files, str) else env_files:
            env.update(read_env_file(ROOT / env_file))
        for path in paths:
            included.append((ROOT / path, load_yaml(ROOT / path), env))
    return top, included


def stack() -> dict[str, Any]:
    """The merged, interpolated application model with compose.env's values (what `docker compose config` shows)."""
    top, included = compose_model()
    model: dict[str, Any] = {key: value for key, value in top.items() if key != "include"}
    for _, raw, env in included:
        for section, content in interpolate(raw, env).items():
            if isinstance(content, Mapping):
                model.setdefault(section, {}).update(content)
    return model


def raw_services() -> dict[str, Any]:
    """The services as written, variables not filled in."""
    services: dict[str, Any] = {}
    for _, raw, _ in compose_model()[1]:
        services.update(raw.get("services", {}))
    return services


def environment_of(service: Mapping[str, Any]) -> dict[str, str]:
    """A service's `environment`, list or mapping form, as a mapping."""
    environment = service.get("environment", {})
    if isinstance(environment, list):
        return dict(str(item).partition("=")[::2] for item in environment)
    return {str(key): "" if value is None else str(value) for key, value in environment.items()}


@cache
def compose_schema() -> dict[str, Any]:
    """The Compose Specification schema shipped by check-jsonschema."""
    text = (files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json").read_text()
    schema: dict[str, Any] = YAML(typ="safe", pure=True).load(text)
    return schema


def schema_errors(document: Any) -> list[str]:
    """The schema violations of a Compose document, one line each."""
    validator = Draft202012Validator(compose_schema())
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(document)]


def dockerfile_instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        text = (pending + line).strip()
        pending = ""
        keyword, _, arguments = text.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def final_stage() -> list[tuple[str, str]]:
    """The instructions of the Dockerfile's last stage (from its FROM on)."""
    instructions = dockerfile_instructions()
    start = max(index for index, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[start:]


# --- the schema ------------------------------------------------------------------------------------------------


def test_schema_is_the_one_check_jsonschema_ships_at_the_pinned_version() -> None:
    """The schema is read intact from the installed check-jsonschema, the exact version the dev extra pins."""
    vendor = files("check_jsonschema.builtin_schemas.vendor")
    digest = hashlib.sha256((vendor / "compose-spec.json").read_bytes()).hexdigest()
    assert digest == (vendor / "sha256" / "compose-spec.sha256").read_text().strip()
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    pins = [spec for spec in dev if spec.startswith("check-jsonschema")]
    assert pins == [f"check-jsonschema=={importlib.metadata.version('check-jsonschema')}"]
    assert "services" in compose_schema()["properties"]


def test_schema_rejects_what_compose_rejects() -> None:
    """The validator really checks: an unknown service key and a malformed depends_on condition are errors."""
    document = {"services": {"a": {"image": "x:1.0.0", "helthcheck": {}}, "b": {"depends_on": {"a": {"condition": 1}}}}}
    errors = schema_errors(document)
    assert any("helthcheck" in error for error in errors)
    assert any(error.startswith("services/b/depends_on") for error in errors)


def test_compose_files_follow_the_compose_specification() -> None:
    """docker-compose.yml, each included file as written, and the filled-in stack all validate."""
    top, included = compose_model()
    assert schema_errors(top) == []
    assert included, "docker-compose.yml includes the stack"
    for path, raw, env in included:
        assert schema_errors(raw) == [], path
        assert schema_errors(interpolate(raw, env)) == [], path
    assert schema_errors(stack()) == []


def test_compose_env_is_the_committed_source_of_the_variables() -> None:
    """The include gives compose.env (not the git-ignored .env) as the variables of the stack, from the root."""
    top, _ = compose_model()
    assert top["name"] == "pbj"
    assert top["include"] == [{"path": "deploy/stack.yml", "project_directory": ".", "env_file": "compose.env"}]
    assert ".env" in (ROOT / ".gitignore").read_text().split()


# --- the stack's rules -----------------------------------------------------------------------------------------


def test_stack_has_camunda_elasticsearch_postgres_mailpit_the_workers_and_the_web_application() -> None:
    """The six services, nothing more."""
    assert set(stack()["services"]) == SERVICES


def test_every_image_is_pinned_to_an_exact_version() -> None:
    """No `latest`, no floating tag: MAJOR.MINOR.PATCH (MAJOR.MINOR where that is the full version)."""
    for name, service in stack()["services"].items():
        if "image" not in service:
            assert "build" in service, f"{name} has neither image nor build"
            continue
        reference = service["image"]
        repository, _, tag = reference.rpartition(":")
        assert repository and "/" not in tag, f"{name}: {reference} has no tag"
        assert tag != "latest", f"{name}: {reference}"
        basename = repository.rsplit("/", 1)[-1]
        pattern = TWO_PART_TAG if basename in TWO_PART_VERSIONS else PINNED_TAG
        assert pattern.match(tag), f"{name}: {reference} is not an exact version"


def test_camunda_is_8_8_and_elasticsearch_8_17() -> None:
    """The versions the project targets: Camunda 8.8.x (single image) and Elasticsearch 8.17.x."""
    images = {name: service.get("image", "") for name, service in stack()["services"].items()}
    assert re.fullmatch(r"camunda/camunda:8\.8\.\d+", images["camunda"])
    assert re.fullmatch(r"docker\.elastic\.co/elasticsearch/elasticsearch:8\.17\.\d+", images["elasticsearch"])


def test_every_service_has_a_health_check() -> None:
    """Each service declares a health check, or is built from a Dockerfile that has a HEALTHCHECK."""
    dockerfile_has_one = any(keyword == "HEALTHCHECK" and args != "NONE" for keyword, args in final_stage())
    for name, service in stack()["services"].items():
        check = service.get("healthcheck")
        if check is None:
            assert "build" in service and dockerfile_has_one, f"{name} has no health check"
            continue
        assert not check.get("disable", False), name
        assert check["test"] and check["test"][0] in ("CMD", "CMD-SHELL"), name


def test_every_dependency_waits_until_the_other_service_is_healthy() -> None:
    """`depends_on` is the long form everywhere, with `condition: service_healthy` on an existing service."""
    services = stack()["services"]
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, Mapping), f"{name}: depends_on needs the long form"
        for target, options in depends_on.items():
            assert target in services, f"{name} depends on unknown {target}"
            assert options == {"condition": "service_healthy"}, f"{name} -> {target}: {options}"
    assert set(services["workers"]["depends_on"]) == {"camunda", "postgres", "mailpit"}
    assert set(services["web"]["depends_on"]) == {"camunda", "postgres"}
    assert set(services["camunda"]["depends_on"]) == {"elasticsearch"}


def test_compose_env_defines_exactly_the_variables_the_stack_uses() -> None:
    """Every variable in the Compose files is set in compose.env, and compose.env holds no unused one."""
    used = set().union(*(variables_in(text) for _, raw, _ in compose_model()[1] for text in strings_in(raw)))
    used |= set().union(*(variables_in(text) for text in strings_in(compose_model()[0])))
    defined = read_env_file(VERSIONS_FILE)
    assert used - set(defined) == set(), "used but not defined in compose.env"
    assert set(defined) - used == set(), "defined in compose.env but not used"
    assert all(value for value in defined.values()), "compose.env leaves a variable empty"


def test_no_secret_is_written_in_the_compose_files() -> None:
    """Secret settings are empty or a variable, URLs carry no literal password, and compose.env's are local-only."""
    for name, service in raw_services().items():
        for key, value in environment_of(service).items():
            if SECRET_NAME.search(key):
                assert value == "" or re.fullmatch(r"\$\{\w+(?::?\?[^}]*)?\}", value), f"{name}: {key}={value!r}"
        for text in strings_in(service):
            for password in re.findall(r"://[^/:@\s]+:([^@\s]+)@", text):
                assert re.fullmatch(r"\$\{\w+(?::?\?[^}]*)?\}", password), f"{name}: literal password in {text!r}"
    secrets = {name: value for name, value in read_env_file(VERSIONS_FILE).items() if SECRET_NAME.search(name)}
    assert secrets, "compose.env names the passwords"
    for name, value in secrets.items():
        assert value.startswith(LOCAL_ONLY_MARK), f"compose.env: {name} must be marked {LOCAL_ONLY_MARK!r}"
        assert re.fullmatch(r"[A-Za-z0-9_-]+", value), f"{name} must be URL-safe"


def test_passwords_fail_loudly_when_emptied() -> None:
    """An empty password in .env stops Compose with a message instead of starting without one."""
    _, included = compose_model()
    for _, raw, env in included:
        for variable in ("POSTGRES_PASSWORD", "CAMUNDA_ADMIN_PASSWORD"):
            with pytest.raises(LookupError, match=variable):
                interpolate(raw, {**env, variable: ""})


def test_published_ports_listen_on_the_bind_address_only() -> None:
    """Every published port is `${BIND_ADDRESS}:…`, and BIND_ADDRESS defaults to the loopback address."""
    for name, service in raw_services().items():
        for port in service.get("ports", []):
            assert str(port).startswith("${BIND_ADDRESS}:"), f"{name}: {port}"
    assert read_env_file(VERSIONS_FILE)["BIND_ADDRESS"] == "127.0.0.1"
    services = stack()["services"].values()
    published = {str(port).rsplit(":", 1)[-1] for service in services for port in service.get("ports", [])}
    assert published == {"26500", "8080", "8025", "8000"}


def test_camunda_uses_elasticsearch_and_the_unprotected_local_api() -> None:
    """Camunda's lightweight 8.8 settings: Elasticsearch secondary storage, basic login, unprotected API, an admin."""
    env = environment_of(stack()["services"]["camunda"])
    assert env["CAMUNDA_DATA_SECONDARYSTORAGE_TYPE"] == "elasticsearch"
    assert env["CAMUNDA_DATA_SECONDARYSTORAGE_ELASTICSEARCH_URL"] == "http://elasticsearch:9200"
    assert env["CAMUNDA_SECURITY_AUTHENTICATION_UNPROTECTEDAPI"] == "true"
    assert env["CAMUNDA_SECURITY_AUTHORIZATIONS_ENABLED"] == "false"
    user = env["CAMUNDA_SECURITY_INITIALIZATION_USERS_0_USERNAME"]
    assert env["CAMUNDA_SECURITY_INITIALIZATION_DEFAULTROLES_ADMIN_USERS_0"] == user
    assert env["CAMUNDA_SECURITY_INITIALIZATION_USERS_0_PASSWORD"].startswith(LOCAL_ONLY_MARK)


def test_workers_reach_the_stack_services_and_their_settings_load() -> None:
    """The workers' environment, over a copied .env.example, is accepted by Settings and names the stack's hosts."""
    example = read_env_file(ROOT / ".env.example")
    settings = Settings.from_env({**example, **environment_of(stack()["services"]["workers"])})
    assert settings.zeebe.address == "camunda:26500"
    assert not settings.zeebe.uses_oauth
    assert settings.database_url.startswith("postgresql+psycopg://pbj:")
    assert settings.database_url.endswith("@postgres:5432/pbj")
    assert (settings.smtp.host, settings.smtp.port, settings.smtp.username) == ("mailpit", 1025, None)
    assert str(settings.data_dir) == "/var/lib/pbj"
    assert settings.log_format == "json"
    workers = raw_services()["workers"]
    assert workers["env_file"] == [{"path": ".env", "required": False}]
    assert "/var/lib/pbj" in {volume.split(":", 1)[1] for volume in workers["volumes"]}


def test_header_says_the_stack_is_for_local_use_only() -> None:
    """The top of docker-compose.yml says what is for local use only and what it starts."""
    header = COMPOSE_FILE.read_text().split("\nname:", 1)[0]
    assert "FOR LOCAL USE ONLY" in header
    for words in ("unprotected", "Elasticsearch", "Mailpit", "local-only", "127.0.0.1", "docker compose up -d"):
        assert words in header, words


# --- the workers' image ----------------------------------------------------------------------------------------


def test_dockerfile_builds_on_the_pinned_slim_python_3_11() -> None:
    """Every stage starts from python:${PYTHON_VERSION}-slim-bookworm, defaulting to compose.env's exact 3.11.x."""
    instructions = dockerfile_instructions()
    assert instructions[0][0] == "ARG"
    default = instructions[0][1].partition("=")[2]
    assert default == read_env_file(VERSIONS_FILE)["PYTHON_VERSION"]
    assert re.fullmatch(r"3\.11\.\d+", default)
    assert instructions[1] == ("ARG", f"NODE_VERSION={read_env_file(VERSIONS_FILE)['NODE_VERSION']}")
    bases = [args.split()[0] for keyword, args in instructions if keyword == "FROM"]
    assert bases == [
        "node:${NODE_VERSION}-bookworm-slim",  # the web application's form, from package-lock.json
        "python:${PYTHON_VERSION}-slim-bookworm",  # dependencies
        "python:${PYTHON_VERSION}-slim-bookworm",  # runtime
    ]
    for service in ("workers", "web"):
        assert raw_services()[service]["build"]["args"] == {
            "PYTHON_VERSION": "${PYTHON_VERSION}",
            "NODE_VERSION": "${NODE_VERSION}",
        }


def test_dockerfile_runs_the_workers_as_a_non_root_user() -> None:
    """The final stage switches to an unprivileged numeric user before it runs `python -m workers`."""
    stage = final_stage()
    users = [args for keyword, args in stage if keyword == "USER"]
    assert users, "the final stage sets USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0") and user.isdigit() and int(user) >= 1000
    assert stage[-1] == ("CMD", '["python", "-m", "workers"]')
    keywords = [keyword for keyword, _ in stage]
    assert keywords.index("USER") < keywords.index("CMD")


def test_dockerfile_has_a_health_check_with_the_script_it_copies() -> None:
    """HEALTHCHECK runs deploy/workers_healthcheck.py, which the image copies and .dockerignore lets through."""
    checks = [args for keyword, args in final_stage() if keyword == "HEALTHCHECK"]
    assert len(checks) == 1
    assert '"/app/deploy/workers_healthcheck.py"' in checks[0]
    copies = [args for keyword, args in final_stage() if keyword == "COPY"]
    assert "deploy/workers_healthcheck.py deploy/" in copies
    assert "!deploy/workers_healthcheck.py" in DOCKERIGNORE.read_text().split()


def test_dockerignore_keeps_secrets_and_local_data_out_of_the_image() -> None:
    """The build context starts from nothing and lets in only source directories, never .env or .data."""
    patterns = [line for line in DOCKERIGNORE.read_text().splitlines() if line and not line.startswith("#")]
    assert patterns[0] == "*"
    allowed = {pattern[1:].rstrip("/") for pattern in patterns if pattern.startswith("!")}
    assert not allowed & {".env", ".data", ".venv", "node_modules", ".git"}
    copies = [args for keyword, args in final_stage() if keyword == "COPY" and "--from" not in args]
    copied = {args.split()[0].rstrip("/") for args in copies}
    assert copied <= allowed
