from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest
from pydantic import Field, SecretStr, ValidationError

from novu_action.events import Event, WithheldSecrets
from novu_action.settings import (
    DEFAULT_BRIDGE_PATH,
    BranchRule,
    CommentMode,
    HttpUrl,
    Inputs,
    InvalidInputsError,
    RequestedMode,
    RunContext,
    _branch_map,
    _bridge_path,
    _choice,
    _environment_name,
    _http_url,
    _one_line,
    _report_id,
    _seconds,
    _strict_bool,
    _visible_url,
    canonical_environment,
    describe,
    input_variable,
    invalid_inputs,
    load_settings,
    parse_branch_map,
    shown,
)
from tests.factories import pull_request_event, push_event
from tests.stand_ins.action_runner import declared_inputs

DEFAULT_RULES = (BranchRule("dev", "Development"), BranchRule("main", "Production"))
SECRET_INPUTS = {
    "secret-key",
    "development-secret-key",
    "production-secret-key",
    "bridge-signing-secret",
    "development-bridge-signing-secret",
    "production-bridge-signing-secret",
    "github-token",
}
QUERY_SECRET_INPUTS = {
    "bridge-url",
    "development-bridge-url",
    "production-bridge-url",
    "preview-bridge-url",
    "bridge-path",
    "api-url",
}


def runner_environ(
    tmp_path: Path,
    inputs: Mapping[str, str] | None = None,
    *,
    event_name: str = "push",
    event: object | None = None,
) -> dict[str, str]:
    """What the runner gives a Docker action: every declared input as INPUT_* (hyphens kept, with its
    default or empty), the GITHUB_* context and an event payload file."""
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(event if event is not None else push_event("dev")), encoding="utf-8")
    environ = {input_variable(name): default for name, default in declared_inputs().items()}
    environ.update({input_variable(name): value for name, value in (inputs or {}).items()})
    environ.update(
        {
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_REF": "refs/heads/dev",
            "GITHUB_SHA": "f" * 40,
            "GITHUB_ACTOR": "octocat",
            "GITHUB_REPOSITORY": "acme/notifications",
            "GITHUB_RUN_ID": "1234",
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_WORKSPACE": str(tmp_path),
        }
    )
    return environ


def problems_of(environ: Mapping[str, str]) -> str:
    with pytest.raises(InvalidInputsError) as caught:
        load_settings(environ)
    return str(caught.value)


def refusal(**values: str) -> str:
    """The one problem ``Inputs.from_values`` finds in ``values``, as the user reads it."""
    with pytest.raises(ValidationError) as caught:
        Inputs.from_values(values)
    (line,) = describe(caught.value)
    return line


# --- reading inputs ---------------------------------------------------------------------------------------


def test_input_variables_are_named_as_the_runner_names_them():
    assert input_variable("secret-key") == "INPUT_SECRET-KEY"
    assert input_variable("development-bridge-signing-secret") == "INPUT_DEVELOPMENT-BRIDGE-SIGNING-SECRET"
    assert input_variable("id") == "INPUT_ID"
    assert input_variable("my input") == "INPUT_MY_INPUT"


def test_inputs_are_read_with_their_hyphens_kept(tmp_path):
    environ = runner_environ(
        tmp_path,
        {
            "secret-key": "sk_test",
            "production-bridge-url": "https://app.example.com/api/novu",
            "allow-deletions": "true",
            "comment-mode": "changes",
            "id": "marketing",
            "timeout": "12.5",
        },
    )
    inputs = load_settings(environ).inputs
    assert inputs.secret_key is not None
    assert inputs.secret_key.get_secret_value() == "sk_test"
    assert inputs.production_bridge_url == "https://app.example.com/api/novu"
    assert inputs.allow_deletions is True
    assert inputs.comment_mode is CommentMode.CHANGES
    assert inputs.id == "marketing"
    assert inputs.timeout == 12.5


def test_input_variables_spelled_with_underscores_are_not_read():
    inputs = Inputs.from_environ({"INPUT_SECRET_KEY": "sk_test", "INPUT_SECRET-KEY": ""})
    assert inputs.secret_key is None


def test_inputs_missing_from_the_environment_are_unset():
    inputs = Inputs.from_environ({})
    assert inputs == Inputs.from_values({})
    assert inputs.secret_key is None
    assert inputs.mode is RequestedMode.AUTO


def test_empty_and_blank_inputs_count_as_unset_and_defaults_apply(tmp_path):
    environ = runner_environ(
        tmp_path,
        {
            "secret-key": "   ",
            "mode": "",
            "api-url": "  ",
            "branch-map": "\n",
            "timeout": "",
            "bridge-path": " ",
        },
    )
    inputs = load_settings(environ).inputs
    assert inputs.secret_key is None
    assert inputs.mode is RequestedMode.AUTO
    assert inputs.api_url == "https://api.novu.co"
    assert inputs.branch_map == DEFAULT_RULES
    assert inputs.timeout == 30
    assert inputs.bridge_path == "/api/novu"


def test_values_given_as_none_count_as_unset():
    assert Inputs.from_values({"secret-key": None, "mode": None}) == Inputs.from_values({})


def test_values_are_trimmed(tmp_path):
    environ = runner_environ(
        tmp_path,
        {"bridge-url": "  https://b.example.com/api/novu \n", "allow-deletions": " false ", "mode": " Sync "},
    )
    inputs = load_settings(environ).inputs
    assert inputs.bridge_url == "https://b.example.com/api/novu"
    assert inputs.allow_deletions is False
    assert inputs.mode is RequestedMode.SYNC


def test_secret_values_are_trimmed_too():
    inputs = Inputs.from_values({"secret-key": "  sk_test\n"})
    assert inputs.secret_value("secret-key") == "sk_test"


def test_inputs_are_named_as_in_with_not_as_python_fields():
    assert Inputs.from_values({"secret_key": "sk_test"}).secret_key is None


def test_every_input_of_action_yml_is_an_input_and_no_other():
    assert sorted(Inputs.input_names) == sorted(declared_inputs())


def test_the_runner_defaults_of_action_yml_are_the_inputs_defaults():
    from_runner = Inputs.from_environ(
        {input_variable(name): default for name, default in declared_inputs().items()}
    )
    defaults = Inputs.from_values({})
    for name in Inputs.input_names:
        if name != "github-token":  # its default is an expression the runner evaluates
            assert from_runner.secret_value(name) == defaults.secret_value(name), name


def test_new_inputs_have_their_documented_defaults():
    inputs = Inputs.from_values({})
    assert inputs.bridge_path == DEFAULT_BRIDGE_PATH == "/api/novu"
    assert inputs.fail_on_refusal is False
    assert inputs.discover_file is None
    assert inputs.bridge_signing_secret is None
    assert inputs.development_bridge_signing_secret is None
    assert inputs.production_bridge_signing_secret is None
    assert inputs.allow_deletions is None
    assert inputs.comment_mode is CommentMode.ALWAYS
    assert inputs.environment is None
    assert inputs.id is None


def test_new_inputs_are_read():
    inputs = Inputs.from_values(
        {
            "bridge-signing-secret": "whsec_any",
            "development-bridge-signing-secret": "whsec_dev",
            "production-bridge-signing-secret": "whsec_prod",
            "discover-file": "out/discover.json",
            "bridge-path": "/api/novu?x-vercel-protection-bypass=tok",
            "fail-on-refusal": "true",
        }
    )
    assert inputs.secret_value("bridge-signing-secret") == "whsec_any"
    assert inputs.secret_value("development-bridge-signing-secret") == "whsec_dev"
    assert inputs.secret_value("production-bridge-signing-secret") == "whsec_prod"
    assert inputs.discover_file == "out/discover.json"
    assert inputs.bridge_path == "/api/novu?x-vercel-protection-bypass=tok"
    assert inputs.fail_on_refusal is True


def test_secrets_are_hidden_in_the_inputs_repr():
    inputs = Inputs.from_values({"secret-key": "sk_live_abcdef", "github-token": "ghs_token_value"})
    assert "sk_live_abcdef" not in repr(inputs)
    assert "ghs_token_value" not in repr(inputs)


def test_secret_value_reveals_a_secret_and_gives_text_or_none_for_the_rest():
    inputs = Inputs.from_values({"secret-key": "sk_test", "timeout": "5"})
    assert inputs.secret_value("secret-key") == "sk_test"
    assert inputs.secret_value("production-secret-key") is None
    assert inputs.secret_value("api-url") == "https://api.novu.co"
    assert inputs.secret_value("timeout") == "5.0"


def test_inputs_cannot_be_changed_once_read():
    inputs = Inputs.from_values({})
    with pytest.raises(ValidationError):
        inputs.mode = RequestedMode.SYNC  # type: ignore[misc]


# --- which inputs hold secrets ----------------------------------------------------------------------------


def test_the_secret_inputs_are_the_ones_typed_as_secrets():
    assert set(Inputs.secret_inputs()) == SECRET_INPUTS
    revealed = Inputs.from_values({name: f"value-of-{name}" for name in SECRET_INPUTS})
    for name in SECRET_INPUTS:
        assert isinstance(getattr(revealed, name.replace("-", "_")), SecretStr)


def test_the_inputs_with_secret_query_strings_are_the_urls_and_the_bridge_path():
    assert set(Inputs.query_secret_inputs()) == QUERY_SECRET_INPUTS
    assert not set(Inputs.query_secret_inputs()) & set(Inputs.secret_inputs())


class _ExtendedInputs(Inputs):
    extra_token: SecretStr | None = Field(default=None, alias="extra-token")
    extra_url: HttpUrl | None = Field(default=None, alias="extra-url")
    extra_text: str | None = Field(default=None, alias="extra-text")


def test_a_new_secret_or_url_input_is_masked_without_being_listed_anywhere():
    assert "extra-token" in _ExtendedInputs.secret_inputs()
    assert "extra-url" in _ExtendedInputs.query_secret_inputs()
    assert "extra-text" not in _ExtendedInputs.secret_inputs()
    assert "extra-text" not in _ExtendedInputs.query_secret_inputs()


# --- how bad values are shown -----------------------------------------------------------------------------


def test_a_bad_value_is_shown_quoted():
    assert shown("sideways") == '"sideways"'
    assert shown('say "hi"') == '"say \\"hi\\""'
    assert shown("café") == '"café"'


@pytest.mark.parametrize(
    ("value", "visible"),
    [
        ("a\nb", '"a\\nb"'),
        ("a\rb", '"a\\rb"'),
        ("a\x1b[31mb", '"a\\u001b[31mb"'),
        ("a\x7fb", '"a\\u007fb"'),
        ("a\x85b", '"a\\u0085b"'),
        ("a\x9bb", '"a\\u009bb"'),
        ("a\u2028b", '"a\\u2028b"'),
        ("a\u2029b", '"a\\u2029b"'),
    ],
)
def test_control_characters_in_a_shown_value_are_visible(value, visible):
    assert shown(value) == visible


def test_a_long_value_is_shortened_to_eighty_characters():
    assert shown("x" * 78) == '"' + "x" * 78 + '"'
    text = shown("x" * 79)
    assert len(text) == 80
    assert text == '"' + "x" * 77 + '…"'


@pytest.mark.parametrize(
    ("url", "visible"),
    [
        ("https://app.example/api/novu", "https://app.example/api/novu"),
        (
            "https://app.example/api/novu?x-vercel-protection-bypass=tok&a=1",
            "https://app.example/api/novu?x-vercel-protection-bypass=REDACTED&a=REDACTED",
        ),
        ("https://user:pass@app.example/api/novu", "https://app.example/api/novu"),
        ("https://user:p@ss@app.example/api/novu", "https://app.example/api/novu"),
        ("https://token@app.example", "https://app.example"),
        ("https://app.example/?bypass=dG9rZW4=", "https://app.example/?bypass=REDACTED"),  # base64 padding
        ("/api/novu?bypass=tok", "/api/novu?bypass=REDACTED"),
        ("https://app.example/api/novu\n::error::x", "https://app.example/api/novu\n::error::x"),
    ],
)
def test_a_url_is_shown_without_userinfo_or_query_values(url, visible):
    assert _visible_url(url) == visible


# --- validation of each input -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["yes", "1", "on", "y", "tRue", "no", "0"])
def test_booleans_are_strict(tmp_path, value):
    message = problems_of(runner_environ(tmp_path, {"allow-deletions": value}))
    assert "input `allow-deletions`" in message
    assert f"must be `true` or `false`; got {shown(value)}" in message


@pytest.mark.parametrize(
    ("value", "parsed"),
    [("true", True), ("True", True), ("TRUE", True), ("false", False), ("False", False), ("FALSE", False)],
)
def test_booleans_take_the_spellings_of_githubs_toolkit(value, parsed):
    assert _strict_bool(value) is parsed
    assert Inputs.from_values({"fail-on-refusal": value}).fail_on_refusal is parsed


def test_the_boolean_validator_passes_booleans_through():
    assert _strict_bool(True) is True
    assert _strict_bool(False) is False


def test_fail_on_refusal_is_a_strict_boolean_too():
    assert (
        refusal(**{"fail-on-refusal": "yes"})
        == 'input `fail-on-refusal`: must be `true` or `false`; got "yes"'
    )


def test_every_problem_is_reported_at_once_and_secrets_are_not_echoed(tmp_path):
    environ = runner_environ(
        tmp_path,
        {
            "mode": "sideways",
            "allow-deletions": "maybe",
            "bridge-url": "ftp://bridge.example.com",
            "api-url": "not a url",
            "comment-mode": "loud",
            "timeout": "-3",
            "id": "has space",
            "branch-map": "dev",
            "secret-key": "sk_live_abcdef",
            "bridge-signing-secret": "whsec_abcdef",
        },
    )
    message = problems_of(environ)
    for name in (
        "mode",
        "allow-deletions",
        "bridge-url",
        "api-url",
        "comment-mode",
        "timeout",
        "id",
        "branch-map",
    ):
        assert f"input `{name}`" in message
    assert message.startswith("8 problems with the action's inputs; nothing was sent:\n")
    assert "(s)" not in message
    assert "sk_live_abcdef" not in message
    assert "whsec_abcdef" not in message


def test_a_single_problem_is_counted_in_the_singular(tmp_path):
    message = problems_of(runner_environ(tmp_path, {"mode": "sideways"}))
    assert message.startswith("1 problem with the action's inputs; nothing was sent:\n- input `mode`")


def test_problems_are_listed_one_per_line_by_input_name():
    error = invalid_inputs(["input `b`: bad", "input `a`: bad"])
    assert (
        str(error)
        == "2 problems with the action's inputs; nothing was sent:\n- input `b`: bad\n- input `a`: bad"
    )
    assert error.title == "Invalid inputs"


def test_each_problem_names_the_input_as_spelled_in_with_and_speaks_without_pydantic_prefixes():
    with pytest.raises(ValidationError) as caught:
        Inputs.from_values({"timeout": "soon", "mode": "sideways"})
    assert describe(caught.value) == [
        'input `mode`: must be one of `auto`, `preview`, `sync`; got "sideways"',
        'input `timeout`: must be a number of seconds; got "soon"',
    ]


def test_a_problem_that_belongs_to_no_input_is_listed_without_a_name():
    with pytest.raises(ValidationError) as caught:
        Inputs.model_validate(["not", "a", "mapping"])
    assert describe(caught.value) == ["input ``: Input should be a valid dictionary or instance of Inputs"]


def test_api_url_loses_its_trailing_slash(tmp_path):
    environ = runner_environ(tmp_path, {"api-url": "https://eu.api.novu.co/"})
    assert load_settings(environ).inputs.api_url == "https://eu.api.novu.co"


@pytest.mark.parametrize(
    "name", ["bridge-url", "development-bridge-url", "production-bridge-url", "preview-bridge-url", "api-url"]
)
def test_every_url_input_refuses_what_is_not_a_web_url(name):
    assert refusal(**{name: "ftp://b.example"}) == (
        f'input `{name}`: must be an http:// or https:// URL with a host; got "ftp://b.example"'
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://bridge.example/api/novu\n::error::x",
        "https://bridge.example/api/novu?x-vercel-protection-bypass=tok\n::error::x",
        "https://us\ner:secretpw@bridge.example/api/novu",
        "https://bridge.example/api/\x1b[2Jnovu",
        "https://bridge.example/api/novu\u2028x",
        "https://bridge.example/api\tnovu",
    ],
)
def test_a_url_with_a_control_character_is_refused(url):
    message = refusal(**{"bridge-url": url})
    assert message.startswith(
        "input `bridge-url`: a URL must be on one line, without control characters; got "
    )
    assert "=tok" not in message
    assert "secretpw" not in message


def test_a_refused_url_shows_where_the_line_break_is():
    assert refusal(**{"bridge-url": "https://bridge.example/api/novu\n::error::x"}) == (
        "input `bridge-url`: a URL must be on one line, without control characters; "
        'got "https://bridge.example/api/novu\\n::error::x"'
    )


@pytest.mark.parametrize(
    ("url", "visible"),
    [
        ("not a url", "not a url"),
        ("bridge.example.com/api/novu", "bridge.example.com/api/novu"),
        ("https:///api/novu", "https:///api/novu"),
        ("ftp://user:secretpw@b.example/x", "ftp://b.example/x"),
        ("mailto:ops@example.com", "mailto:ops@example.com"),
        ("http://[::1/api/novu", "http://[::1/api/novu"),
    ],
)
def test_a_url_without_a_web_scheme_and_host_is_refused_in_the_projects_words(url, visible):
    assert refusal(**{"bridge-url": url}) == (
        f"input `bridge-url`: must be an http:// or https:// URL with a host; got {shown(visible)}"
    )


def test_a_url_with_a_fragment_is_refused_without_showing_its_secrets():
    assert refusal(**{"bridge-url": "https://user:pw@b.example/api/novu#top"}) == (
        'input `bridge-url`: must not contain a #fragment; got "https://b.example/api/novu#top"'
    )


@pytest.mark.parametrize(
    "url",
    ["http:// 10.0.0.1/api/novu", "https://b.example/api/my novu", "https://b.example/api/novu?token=a b"],
)
def test_a_url_with_a_space_is_refused_and_told_how_to_write_one(url):
    message = refusal(**{"bridge-url": url})
    assert message.startswith("input `bridge-url`: must not contain spaces (write a space in a path as %20)")


def test_a_refused_url_never_shows_its_query_values():
    message = refusal(**{"preview-bridge-url": "ftp://b.example/api?x-vercel-protection-bypass=tok123"})
    assert "tok123" not in message
    assert "x-vercel-protection-bypass=REDACTED" in message


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:4000/api/novu",
        "https://user:pw@b.example/api/novu?x-vercel-protection-bypass=tok",
        "HTTPS://B.EXAMPLE/api/novu",
        "http://[::1]:4000/api/novu",
    ],
)
def test_web_urls_are_kept_as_written(url):
    assert _http_url(url) == url
    assert Inputs.from_values({"bridge-url": url}).bridge_url == url


def test_the_url_validator_refuses_other_schemes_and_control_characters():
    with pytest.raises(ValueError, match="must be an http:// or https:// URL with a host"):
        _http_url("file:///etc/passwd")
    with pytest.raises(ValueError, match="must not contain a #fragment"):
        _http_url("https://b.example/#x")
    with pytest.raises(ValueError, match="a URL must be on one line"):
        _http_url("https://b.example/?t=a\nb")


@pytest.mark.parametrize(
    "path", ["/api/novu", "/", "/api/novu?x-vercel-protection-bypass=tok", "/api/novu?a=1&b=2"]
)
def test_a_bridge_path_starting_with_a_slash_is_kept(path):
    assert _bridge_path(path) == path
    assert Inputs.from_values({"bridge-path": path}).bridge_path == path


@pytest.mark.parametrize(
    ("path", "visible"),
    [
        ("api/novu", "api/novu"),
        ("https://b.example/api/novu", "https://b.example/api/novu"),
        ("/api/novu#top", "/api/novu#top"),
        ("api/novu?bypass=tok", "api/novu?bypass=REDACTED"),
    ],
)
def test_a_bridge_path_must_be_a_path_and_its_query_values_stay_hidden(path, visible):
    assert refusal(**{"bridge-path": path}) == (
        f"input `bridge-path`: must be a path starting with `/` (such as `/api/novu`); got {shown(visible)}"
    )


@pytest.mark.parametrize("path", ["/api/novu\n::error::x", "/api/novu?bypass=tok\nx"])
def test_a_bridge_path_with_a_control_character_is_refused(path):
    message = refusal(**{"bridge-path": path})
    assert message.startswith("input `bridge-path`: the path must be on one line, without control characters")
    assert "tok" not in message


@pytest.mark.parametrize(("value", "seconds"), [("12.5", 12.5), ("600", 600.0), ("0.1", 0.1), ("1e2", 100.0)])
def test_timeout_takes_seconds_up_to_ten_minutes(value, seconds):
    assert _seconds(value) == seconds
    assert Inputs.from_values({"timeout": value}).timeout == seconds


@pytest.mark.parametrize("value", ["0", "-3", "600.5", "nan", "inf"])
def test_timeout_out_of_range_is_refused(value):
    assert refusal(timeout=value) == (
        f"input `timeout`: must be more than 0 and at most 600 seconds; got {shown(value)}"
    )


@pytest.mark.parametrize("value", ["soon", "30s", "1,5"])
def test_timeout_that_is_not_a_number_is_refused(value):
    with pytest.raises(ValueError, match=f"must be a number of seconds; got {shown(value)}"):
        _seconds(value)


def test_timeout_validator_refuses_what_is_not_text_or_a_number():
    with pytest.raises(ValueError, match='must be a number of seconds; got "None"'):
        _seconds(None)


@pytest.mark.parametrize("value", ["marketing", "a", "A.b_c-9", "9lives", "x" * 64])
def test_an_id_of_letters_digits_dots_underscores_and_hyphens_is_kept(value):
    assert _report_id(value) == value
    assert Inputs.from_values({"id": value}).id == value


@pytest.mark.parametrize("value", ["has space", "-leading", ".hidden", "x" * 65, "a/b", "é"])
def test_an_id_outside_those_characters_is_refused(value):
    assert refusal(id=value) == (
        "input `id`: must be 1–64 letters, digits, `.`, `_` or `-`, starting with a letter or digit; "
        f"got {shown(value)}"
    )


@pytest.mark.parametrize(
    ("kind", "value", "member"),
    [
        (RequestedMode, "auto", RequestedMode.AUTO),
        (RequestedMode, "PREVIEW", RequestedMode.PREVIEW),
        (RequestedMode, "Sync", RequestedMode.SYNC),
        (CommentMode, "always", CommentMode.ALWAYS),
        (CommentMode, "Changes", CommentMode.CHANGES),
        (CommentMode, "OFF", CommentMode.OFF),
    ],
)
def test_choices_are_read_in_any_case(kind, value, member):
    assert _choice(kind).func(value) is member


def test_the_choice_validator_passes_members_through():
    assert _choice(CommentMode).func(CommentMode.OFF) is CommentMode.OFF


def test_a_bad_choice_lists_the_choices():
    assert refusal(**{"comment-mode": "loud"}) == (
        'input `comment-mode`: must be one of `always`, `changes`, `off`; got "loud"'
    )
    with pytest.raises(ValueError, match='must be one of `auto`, `preview`, `sync`; got "sideways"'):
        _choice(RequestedMode).func("sideways")


def test_comment_modes_are_spelled_as_in_action_yml():
    assert [mode.value for mode in CommentMode] == ["always", "changes", "off"]
    assert [mode.value for mode in RequestedMode] == ["auto", "preview", "sync"]


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("production", "Production"),
        ("PRODUCTION", "Production"),
        ("development", "Development"),
        ("Development", "Development"),
        ("Staging", "Staging"),
        ("staging", "staging"),
        ("Production 2", "Production 2"),
    ],
)
def test_novus_own_environments_keep_their_spelling_and_custom_ones_stay_as_written(name, canonical):
    assert canonical_environment(name) == canonical
    assert _environment_name(name) == canonical
    assert Inputs.from_values({"environment": name}).environment == canonical


def test_an_environment_name_with_a_control_character_is_refused():
    with pytest.raises(ValueError, match=r'an environment name must be on one line.*got "Prod\\u001b\[0m"'):
        _environment_name("Prod\x1b[0m")
    assert refusal(environment="Prod\x1b[0m").startswith("input `environment`: an environment name must be")


def test_discover_file_must_be_one_line():
    assert _one_line("out/discover.json") == "out/discover.json"
    assert refusal(**{"discover-file": "out/discover.json\n::error::x"}) == (
        "input `discover-file`: the value must be on one line, without control characters; "
        'got "out/discover.json\\n::error::x"'
    )


# --- branch map -------------------------------------------------------------------------------------------


def test_branch_map_accepts_lines_commas_and_globs():
    rules = parse_branch_map("dev=development, release/*=Production\n main = Staging ")
    assert rules == (
        BranchRule("dev", "Development"),
        BranchRule("release/*", "Production"),
        BranchRule("main", "Staging"),
    )
    assert rules[1].matches("release/2026-11")
    assert not rules[1].matches("hotfix/1")


@pytest.mark.parametrize(
    "text",
    [
        "dev=Development\n\nmain=Production",
        "dev=Development,,main=Production",
        "\n,dev=Development, ,\n  \nmain=Production,\n",
    ],
)
def test_blank_branch_map_entries_are_skipped_and_later_rules_still_apply(text):
    assert parse_branch_map(text) == DEFAULT_RULES
    rules = Inputs.from_values({"branch-map": text}).branch_map
    assert next(rule.environment for rule in rules if rule.matches("main")) == "Production"


@pytest.mark.parametrize(
    ("text", "entry"), [("dev", "dev"), ("=Production", "=Production"), ("dev=", "dev="), (" = ", "=")]
)
def test_branch_map_rejects_malformed_entries(text, entry):
    with pytest.raises(ValueError, match="BRANCH_PATTERN=Environment") as caught:
        parse_branch_map(text)
    assert f"entry {shown(entry)} is not of the form" in str(caught.value)


@pytest.mark.parametrize("text", [",,", " , \n ,"])
def test_branch_map_without_any_rule_is_refused(text):
    with pytest.raises(ValueError, match="has no `BRANCH_PATTERN=Environment` entry") as caught:
        parse_branch_map(text)
    assert str(caught.value) == "has no `BRANCH_PATTERN=Environment` entry"


def test_a_branch_map_entry_is_split_at_its_first_equals_sign():
    assert parse_branch_map("dev=Staging=EU") == (BranchRule("dev", "Staging=EU"),)


def test_a_malformed_branch_map_is_an_input_problem():
    assert refusal(**{"branch-map": "dev=Development\nmain"}) == (
        'input `branch-map`: entry "main" is not of the form `BRANCH_PATTERN=Environment`'
    )


def test_a_branch_map_environment_with_a_control_character_is_refused():
    with pytest.raises(ValueError, match="an environment name must be on one line"):
        parse_branch_map("dev=Dev\x1belopment")


def test_the_branch_map_validator_parses_text_and_passes_rules_through():
    assert _branch_map("dev=Development,main=Production") == DEFAULT_RULES
    assert _branch_map(DEFAULT_RULES) is DEFAULT_RULES


def test_branch_globs_match_case_sensitively_and_whole():
    rule = BranchRule("release/*", "Production")
    assert rule.matches("release/1")
    assert not rule.matches("Release/1")
    assert not rule.matches("hotfix/release/1")
    assert BranchRule("main", "Production").matches("main")
    assert not BranchRule("main", "Production").matches("main2")


# --- the run's context ------------------------------------------------------------------------------------


def test_the_run_context_is_read_from_the_runners_variables(tmp_path):
    context = RunContext.from_environ(
        {
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_ACTOR": "octocat",
            "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
            "GITHUB_REF": "refs/heads/dev",
            "GITHUB_SHA": "a" * 40,
            "GITHUB_REPOSITORY": "acme/notifications",
            "GITHUB_RUN_ID": "1234",
            "GITHUB_RUN_ATTEMPT": "2",
            "GITHUB_SERVER_URL": "https://ghe.example/",
            "GITHUB_API_URL": "https://ghe.example/api/v3/",
            "GITHUB_WORKSPACE": str(tmp_path),
        }
    )
    assert context == RunContext(
        event_name="push",
        actor="octocat",
        event_path=tmp_path / "event.json",
        ref="refs/heads/dev",
        sha="a" * 40,
        repository="acme/notifications",
        run_id="1234",
        run_attempt="2",
        server_url="https://ghe.example",
        api_url="https://ghe.example/api/v3",
        workspace=tmp_path,
    )
    assert context.run_url == "https://ghe.example/acme/notifications/actions/runs/1234"
    assert context.commit_url("b" * 40) == "https://ghe.example/acme/notifications/commit/" + "b" * 40


def test_only_trailing_slashes_are_cut_from_the_servers_urls():
    context = RunContext.from_environ(
        {"GITHUB_SERVER_URL": "https://GHE.ACME.BOX/", "GITHUB_API_URL": "https://API.ACME.BOX/"}
    )
    assert (context.server_url, context.api_url) == ("https://GHE.ACME.BOX", "https://API.ACME.BOX")


def test_a_run_context_without_variables_has_github_com_defaults():
    context = RunContext.from_environ({"GITHUB_SHA": "", "GITHUB_REPOSITORY": ""})
    assert context == RunContext(
        event_name="",
        actor=None,
        event_path=None,
        ref=None,
        sha=None,
        repository=None,
        run_id=None,
        run_attempt="1",
        server_url="https://github.com",
        api_url="https://api.github.com",
        workspace=Path(),
    )


def test_the_run_url_needs_the_repository_and_the_run_id():
    assert RunContext.from_environ({"GITHUB_REPOSITORY": "acme/n"}).run_url is None
    assert RunContext.from_environ({"GITHUB_RUN_ID": "1"}).run_url is None
    assert (
        RunContext.from_environ({"GITHUB_REPOSITORY": "acme/n", "GITHUB_RUN_ID": "1"}).run_url
        == "https://github.com/acme/n/actions/runs/1"
    )


def test_a_commit_url_needs_the_repository_and_a_sha():
    assert RunContext.from_environ({"GITHUB_REPOSITORY": "acme/n"}).commit_url(None) is None
    assert RunContext.from_environ({"GITHUB_REPOSITORY": "acme/n"}).commit_url("") is None
    assert RunContext.from_environ({}).commit_url("a" * 40) is None


# --- load_settings ----------------------------------------------------------------------------------------


def test_settings_hold_the_inputs_the_context_and_the_event(tmp_path):
    environ = runner_environ(tmp_path, {"secret-key": "sk_test"}, event=push_event("main", sha="a" * 40))
    settings = load_settings(environ)
    assert settings.inputs.secret_value("secret-key") == "sk_test"
    assert settings.context.workspace == tmp_path
    assert settings.context.run_url == "https://github.com/acme/notifications/actions/runs/1234"
    assert settings.event == Event(name="push", ref="refs/heads/main", sha="a" * 40)


def test_settings_read_a_pull_request_with_the_runners_actor(tmp_path):
    environ = runner_environ(tmp_path, event_name="pull_request", event=pull_request_event(number=5))
    environ["GITHUB_ACTOR"] = "dependabot[bot]"
    event = load_settings(environ).event
    assert (event.pr_number, event.base_branch) == (5, "main")
    assert event.secrets_withheld is WithheldSecrets.DEPENDABOT


def test_without_an_event_file_the_runners_ref_and_sha_are_used(tmp_path):
    environ = runner_environ(tmp_path)
    del environ["GITHUB_EVENT_PATH"]
    assert load_settings(environ).event == Event(name="push", ref="refs/heads/dev", sha="f" * 40)


def test_a_pull_request_payload_without_pull_request_is_an_input_problem(tmp_path):
    environ = runner_environ(tmp_path, event_name="pull_request", event={"action": "opened"})
    assert "GitHub event: the `pull_request` event payload has no `pull_request` object" in problems_of(
        environ
    )


def test_unreadable_event_file_is_reported_with_the_input_problems(tmp_path):
    environ = runner_environ(tmp_path, {"mode": "sideways"})
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    environ["GITHUB_EVENT_PATH"] = str(bad)
    message = problems_of(environ)
    assert message.startswith("2 problems")
    assert "input `mode`" in message
    assert "GitHub event: GITHUB_EVENT_PATH does not hold JSON" in message


def test_an_event_file_that_is_not_an_object_is_reported(tmp_path):
    environ = runner_environ(tmp_path, event=[1, 2])
    assert "GitHub event: GITHUB_EVENT_PATH does not hold a JSON object" in problems_of(environ)


def test_a_missing_event_file_is_reported(tmp_path):
    environ = runner_environ(tmp_path)
    environ["GITHUB_EVENT_PATH"] = str(tmp_path / "missing.json")
    assert "- GitHub event: " in problems_of(environ)
