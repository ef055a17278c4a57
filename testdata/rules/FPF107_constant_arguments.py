"""FPF107: a helper called with constants that rule out the branch where it blocks.

``get_secret("OPENAI_API_KEY")`` never reads a token file: only names starting with ``oidc/``
do.  A chain is reported when some value the call may pass reaches a blocking call; a test the
evaluator cannot compute never rules a call out.
"""
import asyncio
import functools
import os
import subprocess
import time

from fastapi import FastAPI

app = FastAPI()


def get_secret(secret_name, default_value=None):
    if secret_name.startswith("os.environ/"):
        secret_name = secret_name.replace("os.environ/", "")
    if secret_name.startswith("oidc/"):
        provider, _, path = secret_name.removeprefix("oidc/").partition("/")
        if provider == "file":
            with open(path) as f:
                return f.read()
        raise ValueError(provider)
    return os.environ.get(secret_name, default_value)


def get_secret_str(secret_name, default_value=None):
    # passes its parameter through: the constant of its caller decides
    value = get_secret(secret_name=secret_name, default_value=default_value)
    return value if isinstance(value, str) else None


def token(kind):
    if not kind:
        return None  # guards what follows: an empty kind returns here
    if kind not in ("file", "path"):
        return os.environ.get("TOKEN")
    return open("/run/token").read()


def settle(mode, wait=False):
    if mode == "sync" and wait:
        time.sleep(1)
    elif mode is None:
        subprocess.run(["sync"])
    return mode


class Vault:
    def read(self, name):
        if name.lower().startswith("file:"):
            return open(name[5:]).read()
        return os.environ.get(name)

    @staticmethod
    def fetch(name):
        if name.startswith("file:"):
            return open(name[5:]).read()
        return None


@functools.lru_cache(maxsize=8)
def load_skill(name):
    # cached: with constant arguments it reads each file once per process
    with open(f"/skills/{name}.md") as f:
        return f.read()


@functools.lru_cache(maxsize=0)
def uncached(name):
    return open(name).read()


def gathered(paths, everything=True):
    def read(path):  # a nested function: its chain counts whatever the constants
        with open(path) as f:
            return f.read()

    first = [read(p) for p in paths[:1]]
    if not everything:
        return first
    return first + [read(p) for p in paths[1:]]


def lookup(name):
    for name in (name, name.upper()):  # rebound by a loop: its value is unknown
        if name.startswith("oidc/"):
            return open(name).read()
    return None


def normalised(name):
    name = name + "/"  # an assignment the evaluator cannot follow
    if name.startswith("oidc/"):
        return open(name).read()
    return None


def opaque(name):
    if os.path.basename(name) == "token":  # a test it cannot compute
        return open(name).read()
    return None


@app.get("/keys")
async def keys():
    api_key = get_secret_str("OPENAI_API_KEY")
    base = get_secret("os.environ/OPENAI_API_BASE", None)
    legacy = get_secret(secret_name="os.environ/OIDC_BASE")  # "OIDC_BASE": not "oidc/"
    none = token("")
    env = token("env")
    settle("sync")  # wait=False
    settle("async", wait=True)
    vault = Vault()
    plain = vault.read("API_KEY")
    fetched = Vault.fetch("API_KEY")
    skill = load_skill("pair")
    await asyncio.sleep(0)
    return api_key, base, legacy, none, env, plain, fetched


@app.get("/tokens")
async def tokens(name: str):
    from_file = get_secret_str("oidc/file//run/secrets/token")  # error: FPF107
    from_env = get_secret_str("os.environ/oidc/file//run/token")  # error: FPF107
    anything = get_secret_str(name)  # error: FPF107
    path = token("path")  # error: FPF107
    settle("sync", True)  # error: FPF107
    settle(None)  # error: FPF107
    vault = Vault()
    upper = vault.read("FILE:/run/token")  # error: FPF107
    fetched = Vault.fetch("file:/run/token")  # error: FPF107
    looped = lookup("API_KEY")  # error: FPF107
    joined = normalised("oidc")  # error: FPF107
    unknown = opaque("API_KEY")  # error: FPF107
    skill = load_skill(name)  # error: FPF107
    first = gathered([name], everything=False)  # error: FPF107
    nothing_kept = uncached("/run/token")  # error: FPF107
    await asyncio.sleep(0)
    return from_file, from_env, anything, path, upper, fetched, looped, joined, unknown
