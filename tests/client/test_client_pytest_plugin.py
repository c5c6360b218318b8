"""The `tallyfy` pytest plugin, as a user's suite sees it (each case runs a small pytest session)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

# Imported here, outside the in-process runs: pytester drops the modules a run imported when it ends, and a second
# import of PyYAML beside its C extension (which stays loaded) builds nodes vcr's loader cannot read ("could not
# determine a constructor for the tag None"). The replay below failed whenever no earlier test had imported it.
import yaml  # noqa: F401

import tallyfy_diag.pytest_plugin
from tallyfy_diag.sandbox import SandboxCredentials

pytest_plugins = ["pytester"]

# Each session is a user's suite: this plugin and pytest-recording, auto-loaded as a user gets them. The test
# environment's other plugins are not part of one (and pytester drops what a session imports, so Schemathesis's and
# Hypothesis's would be imported again by every session).
USER_SESSION = ("-p", "no:cacheprovider", "-p", "no:schemathesis", "-p", "no:hypothesispytest")


def documented_example() -> tuple[str, str]:
    """The conftest and test the plugin's docstring shows users (the README copies it): tested here."""
    doc = tallyfy_diag.pytest_plugin.__doc__ or ""
    lines = doc.split("A complete example", 1)[1].split("::\n", 1)[1].splitlines()
    block = []
    for line in lines:
        if line.strip() and not line.startswith("    "):
            break
        block.append(line)
    conftest, test = textwrap.dedent("\n".join(block)).split("# test_me.py")
    return conftest, test


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.strip()


def test_importing_the_plugin_is_cheap():
    heavy = ["vcr", "httpx", "starlette", "uvicorn", "jwt", "tallyfy_client", "tallyfy_diag.sandbox"]
    loaded = _run(f"import sys, tallyfy_diag.pytest_plugin\nprint(','.join(m for m in {heavy!r} if m in sys.modules))")
    assert loaded == ""


def test_the_plugin_imports_without_vcrpy():
    code = textwrap.dedent(
        """
        import sys
        class Refuse:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {"vcr", "pytest_recording"}:
                    raise ImportError(name + " is not installed")
        sys.meta_path.insert(0, Refuse())
        import tallyfy_diag.pytest_plugin as plugin
        print(plugin.tallyfy_vcr_config_dict()["match_on"])
        """
    )
    assert _run(code) == "('method', 'path', 'query')"


def test_a_project_vcr_config_is_not_overridden(pytester):
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def vcr_config():
            return {"match_on": ["uri"], "project": True}
        """
    )
    pytester.makepyfile(
        """
        def test_own(vcr_config, tallyfy_vcr_config):
            assert vcr_config == {"match_on": ["uri"], "project": True}
            assert tallyfy_vcr_config["match_on"] == ("method", "path", "query")
            assert "record_mode" not in tallyfy_vcr_config
        """
    )
    pytester.runpytest(*USER_SESSION).assert_outcomes(passed=1)


def test_without_a_project_vcr_config_pytest_recording_keeps_its_default(pytester):
    pytester.makepyfile(
        """
        def test_default(vcr_config):
            assert vcr_config == {}
        """
    )
    pytester.runpytest(*USER_SESSION).assert_outcomes(passed=1)


def test_the_documented_example_records_scrubbed_and_replays_offline(pytester):
    conftest, test = documented_example()
    pytester.makeconftest(conftest)
    pytester.makepyfile(test_user=test)
    pytester.runpytest(*USER_SESSION, "--record-mode=once").assert_outcomes(passed=1)
    (cassette,) = pytester.path.joinpath("cassettes", "test_user").glob("*.yaml")
    recorded = cassette.read_text()
    credentials = SandboxCredentials.from_seed(1)
    assert "Bearer tallyfy-placeholder-access-token-1" in recorded
    for secret in (credentials.password, credentials.client_secret):
        assert secret not in recorded
    assert "eyJ" not in recorded
    # Replay with the network blocked, loopback included: only the cassette can answer.
    replay = pytester.runpytest(*USER_SESSION, "--record-mode=none", "--block-network")
    replay.assert_outcomes(passed=1)
    assert cassette.read_text() == recorded


@pytest.mark.parametrize("seed", [3])
def test_the_sandbox_config_fixture_can_be_overridden(pytester, seed):
    pytester.makeconftest(
        f"""
        import pytest
        from tallyfy_diag.sandbox import SandboxConfig

        @pytest.fixture
        def tallyfy_sandbox_config():
            return SandboxConfig(seed={seed})
        """
    )
    pytester.makepyfile(
        f"""
        import httpx

        def test_seeded(tallyfy_sandbox):
            assert tallyfy_sandbox.config.seed == {seed}
            assert tallyfy_sandbox.base_url.startswith("http://127.0.0.1:")
            response = httpx.get(tallyfy_sandbox.base_url + "/me", headers={{"X-Tallyfy-Client": "APIClient"}})
            assert response.status_code == 401
        """
    )
    pytester.runpytest(*USER_SESSION).assert_outcomes(passed=1)


def test_binary_bodies_are_recorded_byte_for_byte():
    scrubber = tallyfy_diag.pytest_plugin.TallyfyScrubber()
    file_bytes = bytes(range(256))
    response = {"headers": {"Content-Type": ["application/octet-stream"]}, "body": {"string": file_bytes}}
    assert scrubber.before_record_response(response)["body"]["string"] == file_bytes
