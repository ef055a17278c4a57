"""FPF107: a helper that blocks only in a mode its caller picks with a literal.

``get_secret(name)`` reads a token file only when ``name`` starts with ``oidc/``: a reference
syntax a deployment writes in its configuration, not what a call passing some other value
(``provider.api_key_env``) asks for.  A call under a test that picks one literal value of a
parameter (``==``, ``in``, ``startswith``; not a web link's scheme nor a file's extension: those test data) is reported where the caller passes a
constant that picks it, or a parameter of the coroutine (request data may hold any value), not
where it passes something else.  Tests of locals, the branches most values take, and what
follows a guard that leaves for the values it rejects (``if mode not in ("auto", "high"):
return``) still count.
"""
import asyncio
import os
import subprocess
import urllib.request

from fastapi import FastAPI

app = FastAPI()


class Provider:
    api_key_env = "OPENAI_API_KEY"


PROVIDERS = {"openai": Provider()}


def get_secret(name):
    if name.startswith("os.environ/"):
        name = name.replace("os.environ/", "")
    if name.startswith("oidc/"):
        with open(name.removeprefix("oidc/")) as f:
            return f.read()
    return os.environ.get(name)


def provider_key(model):
    provider = PROVIDERS[model]
    return get_secret(provider.api_key_env)  # picks no mode: not a hop


def export(doc, fmt):
    if fmt in ("pdf", "ps"):
        subprocess.run(["render", doc])
    return doc


def archive(path, kind):
    if kind != "plain":
        return path
    else:
        with open(path) as f:  # only for kind == "plain"
            return f.read()


def checked(mode):
    if mode not in ("auto", "high"):
        return None  # a guard: what follows is the function's own path, for the values it checked
    return open("/etc/dimensions").read()


def local_mode():
    kind = os.environ.get("KIND", "file")
    if kind == "file":  # a local, not what the caller passes: may run
        return open("/etc/token").read()
    return None


def fetch(url):
    if not url.startswith("http"):  # what most values do: may run
        return open(url).read()
    return url


def load_plugin(target):
    if target.startswith("s3://") or target.startswith("gcs://"):  # a storage reference: a mode
        with open("/tmp/plugin.py", "wb") as f:
            f.write(b"")
    return target


def image_size(data):
    if data.startswith(("http://", "https://")):  # a web link's scheme: data, not a mode
        return len(urllib.request.urlopen(data).read())
    return len(data)


def pages(name):
    if name.endswith(".pdf"):  # a file name's extension: data, not a mode
        return subprocess.run(["pdfinfo", name]).returncode
    return 0


@app.get("/keys")
async def keys(model: str):
    key = provider_key(model)
    env = get_secret(PROVIDERS[model].api_key_env)
    page = export(key, PROVIDERS[model].api_key_env)
    text = archive(key, model.upper())
    guarded = checked(model.upper())  # error: FPF107
    size = image_size(PROVIDERS[model].api_key_env)  # error: FPF107
    count = pages(PROVIDERS[model].api_key_env)  # error: FPF107
    plugin = load_plugin(PROVIDERS[model].api_key_env)
    await asyncio.sleep(0)
    return key, env, page, text, guarded, size, count


@app.get("/modes")
async def modes(name: str, fmt: str):
    token = get_secret(name)  # error: FPF107
    chosen = get_secret("oidc//run/token")  # error: FPF107
    page = export("doc", fmt)  # error: FPF107
    pdf = export("doc", "pdf")  # error: FPF107
    text = archive("/tmp/x", "plain")  # error: FPF107
    local = local_mode()  # error: FPF107
    fetched = fetch(name)  # error: FPF107
    remote = load_plugin("s3://bucket/plugin.py")  # error: FPF107
    await asyncio.sleep(0)
    return token, chosen, page, pdf, text, local, fetched
