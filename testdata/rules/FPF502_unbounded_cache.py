"""FPF502: unbounded functools caches keyed by request data."""
import functools
from enum import Enum
from functools import cache, lru_cache
from typing import Literal

from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel
from pydantic_settings import BaseSettings

app = FastAPI()


class Settings(BaseSettings):
    database_url: str = "sqlite://"


class Color(str, Enum):
    red = "red"
    blue = "blue"


class Query(BaseModel):
    text: str


# --- flagged: a parameter named after request data -------------------------------------------


@cache  # error: FPF502
def load_profile(user_id: int) -> dict:
    return {"id": user_id}


@lru_cache(maxsize=None)  # error: FPF502
def render_markdown(text: str) -> str:
    return text.upper()


@functools.lru_cache(None)  # error: FPF502
def resolve_url(url):
    return url.rstrip("/")


@functools.cache  # error: FPF502
def decode(token: str, audience: str = "api") -> dict:
    return {"sub": token, "aud": audience}


class Embedder:
    @cache  # error: FPF502
    def embed(self, prompt: str) -> list[float]:
        return [float(len(prompt))]


# --- flagged: called by a path operation with a value the client chose -----------------------


@cache  # error: FPF502
def lookup(value: str) -> str:
    return value[::-1]


@app.get("/reverse/{value}")
def reverse(value: str):
    return lookup(value)


@lru_cache(maxsize=None)  # error: FPF502
def classify(agent: str) -> str:
    return "bot" if "bot" in agent else "human"


@app.get("/agent")
def agent(request: Request):
    return classify(request.headers.get("user-agent", ""))


@cache  # error: FPF502
def score(sentence: str, weight: float) -> float:
    return len(sentence) * weight


@app.post("/score")
def post_score(body: Query):
    return score(body.text, 1.5)


# --- silent ----------------------------------------------------------------------------------


@lru_cache
def get_settings() -> Settings:  # the documented pattern: no parameters
    return Settings()


@cache
def get_timezones() -> tuple[str, ...]:
    return ("UTC",)


@lru_cache  # bounded: 128 entries
def load_user(user_id: int) -> dict:
    return {"id": user_id}


@lru_cache()
def fetch_page(url: str) -> str:
    return url


@lru_cache(maxsize=1024)
def tokenize(text: str) -> list[str]:
    return text.split()


@lru_cache(maxsize=None)
def fields_of(cls: type) -> list[str]:
    return list(vars(cls))


@cache
def introspect(func) -> str:
    return func.__name__


@cache
def get_legacy_setting(name: str) -> str:
    return name.upper()


@cache
def get_setting(key: str) -> str:
    return key


@cache
def load_template(path: str) -> str:
    return path


@cache
def accessors(settings: type[BaseSettings], accessor_prefix: str | None = None) -> dict:
    return {}


@cache
def palette(color: Color) -> str:
    return color.value


@cache
def feature(enabled: bool) -> str:
    return "on" if enabled else "off"


@cache
def mode_label(mode: Literal["fast", "slow"]) -> str:
    return mode


@cache
def model_client(model_id: str) -> object:
    return object()


@app.get("/colors/{color}")
def color_route(color: Color, settings: Settings = Depends(get_settings)):
    # an enum path parameter and an injected dependency: not client-chosen free values
    return palette(color), accessors(type(settings))


class Registry:
    @classmethod
    @cache
    def instance(cls) -> "Registry":
        return cls()


@cache
def load_model(name: str) -> object:
    return object()


@cache
def provider_client(key: str) -> object:
    return object()


@app.get("/predict/{model_name}")
def predict(model_name: str, provider: str = "openai"):
    # client-chosen, but model and provider names are a small domain
    return load_model(model_name), provider_client(provider)
