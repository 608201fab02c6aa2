"""A real OpenID provider for the single sign-on tests: tests/oidc/provider/server.mjs
(npm's oidc-provider) run by node, its packages installed from the committed lock file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

PROVIDER_DIR = Path(__file__).resolve().parents[1] / "oidc" / "provider"
CLIENT_ID = "counter-feedback"
CLIENT_SECRET = "test-client-secret-0123456789"


def install() -> None:
    """``npm ci`` once (node_modules are not committed): exactly the locked versions."""
    if (PROVIDER_DIR / "node_modules" / "oidc-provider" / "package.json").is_file():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is missing: the single sign-on tests run a real OpenID provider in node")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PROVIDER_DIR, check=True, timeout=300)


class Provider:
    """A running provider: its issuer URL, and the test-only controls of server.mjs."""

    def __init__(self, issuer: str):
        self.issuer = issuer

    def _send(self, method: str, path: str, body: dict) -> None:
        request = urllib.request.Request(
            self.issuer + path,
            data=json.dumps(body).encode(),
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            assert answer.status == 204

    def account(self, login: str, email: str, groups: list[str], verified: bool = True) -> None:
        """Add or replace an account; its groups show in the next ID token and userinfo answer."""
        self._send("PUT", f"/test/accounts/{login}", {"email": email, "email_verified": verified, "groups": groups})

    def tamper(self, mode: str) -> None:
        """``payload``: alter every ID token after it is signed; ``none``: sign honestly."""
        self._send("POST", "/test/tamper", {"mode": mode})


@contextmanager
def running_provider(redirect_uri: str):
    install()
    env = {**os.environ, "PORT": "0", "CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET}
    env["REDIRECT_URI"] = redirect_uri
    node = shutil.which("node") or "node"
    process = subprocess.Popen(
        [node, "server.mjs"], cwd=PROVIDER_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        deadline = time.monotonic() + 30
        line = ""
        while time.monotonic() < deadline and not line.startswith("listening "):
            line = process.stdout.readline() if process.stdout else ""
            if not line and process.poll() is not None:
                raise RuntimeError(f"the OpenID provider exited with {process.returncode}")
        if not line.startswith("listening "):
            raise RuntimeError("the OpenID provider did not start in 30 s")
        yield Provider(line.split()[1])
    finally:
        process.terminate()
        process.wait(timeout=10)
