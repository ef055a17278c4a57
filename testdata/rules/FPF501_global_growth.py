"""FPF501: module-level containers that request code fills and nothing empties."""
import asyncio
import hashlib
import secrets
import threading
import time
import uuid
from contextlib import asynccontextmanager
from collections import Counter, OrderedDict, defaultdict, deque
from enum import Enum

import cachetools
from fastapi import BackgroundTasks, Depends, FastAPI, Request, WebSocket
from pydantic import BaseModel

app = FastAPI()


class LoginForm(BaseModel):
    username: str
    password: str


class Provider(str, Enum):
    openai = "openai"
    anthropic = "anthropic"


# --- flagged ---------------------------------------------------------------------------------

_sessions = {}


@app.post("/login")
async def login(form: LoginForm):
    session_id = secrets.token_urlsafe()
    _sessions[session_id] = form.username  # error: FPF501
    return {"session": session_id}


_request_log = []


@app.middleware("http")
async def log_requests(request: Request, call_next):
    _request_log.append((request.method, request.url.path))  # error: FPF501
    return await call_next(request)


_hits_per_ip = Counter()


@app.get("/ping")
def ping(request: Request):
    _hits_per_ip[request.client.host] += 1  # error: FPF501
    return "pong"


_last_seen: dict[str, float] = {}


@app.middleware("http")
async def track_clients(request: Request, call_next):
    client = request.client.host if request.client else "unknown"
    _last_seen[client] = time.time()  # error: FPF501
    return await call_next(request)


_seen_tokens: set[str] = set()


def remember_token(token: str) -> None:
    # a helper of the same module, called from a dependency
    _seen_tokens.add(token)  # error: FPF501


def verify_token(request: Request) -> str:
    token = request.headers["authorization"]
    remember_token(token)
    return token


@app.get("/me")
def me(token: str = Depends(verify_token)):
    return {"token": token}


_history = defaultdict(list)


@app.websocket("/chat/{chat_id}")
async def chat(websocket: WebSocket, chat_id: str):
    await websocket.accept()
    async for message in websocket.iter_text():
        _history[chat_id].append(message)  # error: FPF501


_results = OrderedDict()


def store_result(job_id: str, value: dict) -> None:
    _results[job_id] = value  # error: FPF501


@app.post("/jobs")
async def submit(payload: dict, background_tasks: BackgroundTasks):
    job_id = str(uuid.uuid4())
    background_tasks.add_task(store_result, job_id, payload)
    return {"job": job_id}


_responses = {}


@app.get("/proxy")
async def proxy(url: str):
    key = f"GET {url}"
    if key not in _responses:
        _responses.setdefault(key, await fetch(url))  # error: FPF501
    return _responses[key]


async def fetch(url: str) -> str:
    await asyncio.sleep(0)
    return url


_events = deque()


@app.post("/events")
async def post_event(event: dict):
    _events.append(event)  # error: FPF501
    return {"queued": len(_events)}


_rate = {}


@app.get("/limited")
def limited(request: Request):
    ip = request.client.host
    now = time.monotonic()
    _rate[ip] = [t for t in _rate.get(ip, []) if t > now - 60]  # error: FPF501
    _rate[ip].append(now)


_user_locks = defaultdict(asyncio.Lock)


@app.post("/users/{user_id}/credit")
async def credit(user_id: int):
    async with _user_locks[user_id]:  # error: FPF501
        await asyncio.sleep(0)


_completions = {}


@app.post("/completions")
async def completions(prompt: str):
    digest = hashlib.sha256(prompt.encode()).hexdigest()
    if digest not in _completions:
        _completions[digest] = prompt[::-1]  # error: FPF501
    return _completions[digest]


class User(BaseModel):
    id: int
    model: str


_profiles = {}


def current_user() -> User:
    return User(id=1, model="gpt")


@app.get("/profile")
def profile(user: User = Depends(current_user)):
    _profiles[user.id] = user  # error: FPF501
    return user


_latency = defaultdict(list)


@app.middleware("http")
async def timing(request: Request, call_next):
    started = time.monotonic()
    response = await call_next(request)
    _latency[request.scope["route"].path].append(time.monotonic() - started)  # error: FPF501
    return response


_processed_events = set()


class Event(BaseModel):
    id: str


@app.post("/webhooks")
async def webhook(event: Event):
    if event.id in _processed_events:
        return {"duplicate": True}
    _processed_events.add(event.id)  # error: FPF501
    return {"ok": True}


# --- silent: evicted somewhere in the module -----------------------------------------------------

_active = {}


@app.post("/sessions")
async def open_session(form: LoginForm):
    sid = secrets.token_hex()
    _active[sid] = form.username
    return {"sid": sid}


@app.delete("/sessions/{sid}")
async def close_session(sid: str):
    _active.pop(sid, None)


_connections: list[WebSocket] = []


@app.websocket("/ws")
async def ws_endpoint(websocket: WebSocket):
    await websocket.accept()
    _connections.append(websocket)
    try:
        async for _ in websocket.iter_text():
            pass
    finally:
        _connections.remove(websocket)


background = set()


@app.post("/fire")
async def fire():
    task = asyncio.create_task(asyncio.sleep(1))
    background.add(task)
    task.add_done_callback(background.discard)  # passing the method evicts


_by_user = {}


@app.post("/cache/{user_id}")
def cache_user(user_id: int, data: dict):
    if len(_by_user) > 10_000:  # a bound check
        _by_user.clear()
    _by_user[user_id] = data


_tokens = {}


@app.post("/token/{token_id}")
def put_token(token_id: str):
    _tokens[token_id] = True


@app.post("/reset")
def reset():
    global _tokens
    _tokens = {}  # reassignment through global resets it


_pending = {}


@app.post("/pending/{request_id}")
def add_pending(request_id: str):
    _pending[request_id] = 1


def expire(now):
    for request_id in list(_pending):
        del _pending[request_id]


_queue_items = []


@app.post("/enqueue")
def enqueue(item: dict):
    _queue_items.append(item)


@app.on_event("startup")
async def drain_forever():
    while True:
        _queue_items.pop()
        await asyncio.sleep(1)


_handed_out = {}


@app.post("/handout/{user_id}")
def handout(user_id: str):
    _handed_out[user_id] = 1
    prune(_handed_out)  # handed to other code, which may evict


def prune(mapping):
    mapping.clear()


_audit_trail = []


@app.post("/audit")
def audit(request: Request):
    _audit_trail.append(request.url.path)
    if len(_audit_trail) > 1000:
        pass


_ring = []


@app.post("/ring")
def ring(request: Request):
    _ring.append(request.url.path)
    _ring[:] = _ring[-100:]  # truncated in place


# --- silent: bounded keys -----------------------------------------------------------------------

_clients = {}


def get_client(provider: str):
    if provider not in _clients:
        _clients[provider] = object()
    return _clients[provider]


@app.post("/complete")
async def complete(provider: Provider, prompt: str):
    return get_client(provider.value)


_model_configs = {}


@app.get("/models/{model_name}")
def model_config(model_name: str):
    _model_configs[model_name] = {"name": model_name}
    return _model_configs[model_name]


_enum_cache = {}


@app.get("/by-provider")
def by_provider(provider: Provider):
    _enum_cache[provider] = True  # an enum parameter: a fixed set of keys


_stats = {}


@app.get("/stats")
def stats():
    _stats["calls"] = _stats.get("calls", 0) + 1  # constant key
    _stats.update(last="stats")


_per_loop = {}


async def loop_client():
    loop = asyncio.get_running_loop()
    _per_loop[id(loop)] = object()  # one per event loop


@app.get("/loop")
async def use_loop():
    await loop_client()


_names = {}


@app.get("/things/{name}")
def thing(name: str):
    _names[name] = 1  # "name" says nothing about the domain: not flagged


_route_counts = Counter()


@app.middleware("http")
async def count_routes(request: Request, call_next):
    response = await call_next(request)
    _route_counts[request.scope["route"].path] += 1  # route templates: a fixed set
    return response


_per_model = {}


@app.post("/chat")
def chat_model(user: User = Depends(current_user)):
    _per_model[user.model] = object()  # keyed by the model, not the user
    _per_model[(user.model, "eu-west")] = object()


_model_rows = {}


class Model(BaseModel):
    id: str


@app.post("/models")
def add_model(model: Model):
    _model_rows[model.id] = model  # identifies a model: configuration


_thread_clients = {}


def thread_client():
    _thread_clients[threading.get_ident()] = object()  # one per worker thread


@app.get("/thread")
def use_thread():
    thread_client()


_regional = {}


def regional_client(model: str, region: str):
    key = (model, region)
    if key not in _regional:
        _regional[key] = object()
    return _regional[key]


@app.get("/regional")
def regional(model: str, region: str):
    return regional_client(model, region)


_status_counts = Counter()
_method_counts = defaultdict(int)


@app.middleware("http")
async def count_statuses(request: Request, call_next):
    response = await call_next(request)
    _status_counts[response.status_code] += 1
    _method_counts[request.method] += 1
    return response


_engines = {}


def engine_for(tenant_id: str):
    if tenant_id not in _engines:
        _engines[tenant_id] = object()  # one per configured tenant
    return _engines[tenant_id]


@app.get("/tenants/{tenant_id}/ping")
def tenant_ping(tenant_id: str):
    return engine_for(tenant_id)


ml_models = {}


@asynccontextmanager
async def lifespan(app: FastAPI):
    ml_models["answer_to_everything"] = object()
    yield


# --- silent: filled outside requests ------------------------------------------------------------

REGISTRY = {}


def register(name):
    def decorator(fn):
        REGISTRY[name] = fn
        return fn

    return decorator


@register("hello")
def hello():
    return "hi"


_warm = {}
_warm_list = []


@app.on_event("startup")
def warm_up():
    for user_id in range(100):
        _warm[user_id] = user_id
        _warm_list.append(user_id)


for i in range(10):
    _warm[f"user-{i}"] = i


# --- silent: bounded containers and out-of-scope state ------------------------------------------

_recent = deque(maxlen=100)
_recent_positional = deque([], 50)
_ttl = cachetools.TTLCache(maxsize=1000, ttl=60)
_lru = cachetools.LRUCache(maxsize=1000)


@app.post("/recent/{user_id}")
def recent(user_id: str, request: Request):
    _recent.append(user_id)
    _recent_positional.append(user_id)
    _ttl[user_id] = request.url.path
    _lru[user_id] = 1


class Store:
    def __init__(self):
        self.cache = {}

    def put(self, session_id, value):
        self.cache[session_id] = value  # instance state: out of scope


store = Store()


@app.post("/store/{session_id}")
def put_store(session_id: str):
    store.put(session_id, 1)


@app.post("/shadow/{user_id}")
def shadow(user_id: str):
    _sessions = {}  # a local of the same name
    _sessions[user_id] = 1
    return _sessions
