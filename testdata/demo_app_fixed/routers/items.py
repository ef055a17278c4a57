"""Catalogue endpoints: listing, detail, creation and pricing."""
import asyncio
from typing import Annotated

import httpx
import redis
import requests
from fastapi import APIRouter, Depends, HTTPException
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from ..db import Item, get_async_session, get_db

router = APIRouter(prefix="/items", tags=["items"])

SessionDep = Annotated[Session, Depends(get_db)]

PRICING_URL = "https://pricing.internal.example.com/v2"
INVENTORY_URL = "https://inventory.internal.example.com"
SEARCH_URL = "https://search.internal.example.com"
PRICE_TTL_SECONDS = 300

price_cache = redis.Redis(host="redis", port=6379, db=1, decode_responses=True)


class ItemIn(BaseModel):
    name: str
    sku: str
    price_cents: int


class ItemOut(ItemIn):
    model_config = {"from_attributes": True}

    id: int
    slug: str


def _slugify(name: str) -> str:
    return "-".join(name.lower().split())


def _fetch_price(sku: str) -> dict:
    resp = requests.get(f"{PRICING_URL}/prices/{sku}", timeout=3)
    resp.raise_for_status()
    return resp.json()


def _price_with_tax(sku: str, region: str) -> int:
    data = _fetch_price(sku)
    rate = data.get("tax_rates", {}).get(region, 0.0)
    return round(data["price_cents"] * (1 + rate))


async def _push_to_search_index(item: Item) -> None:
    async with httpx.AsyncClient(base_url=SEARCH_URL, timeout=5) as client:
        for _ in range(3):
            resp = await client.put(f"/items/{item.id}", json={"name": item.name, "sku": item.sku})
            if resp.status_code < 500:
                return
            await asyncio.sleep(1)


@router.get("/", response_model=list[ItemOut])
async def list_items(limit: int = 50, offset: int = 0, session: AsyncSession = Depends(get_async_session)):
    result = await session.execute(select(Item).order_by(Item.id).limit(limit).offset(offset))
    return result.scalars().all()


@router.get("/{item_id}")
async def get_item(item_id: int, db: Session = Depends(get_db)):
    item = await run_in_threadpool(db.query(Item).filter(Item.id == item_id).first)
    if item is None:
        raise HTTPException(status_code=404, detail="Item not found")
    async with httpx.AsyncClient(base_url=INVENTORY_URL, timeout=5) as client:
        resp = await client.get(f"/stock/{item.sku}")
    return {**ItemOut.model_validate(item).model_dump(), "in_stock": resp.json()["available"]}


@router.post("/", response_model=ItemOut, status_code=201)
async def create_item(payload: ItemIn, db: SessionDep):
    item = Item(**payload.model_dump(), slug=_slugify(payload.name))
    db.add(item)
    await run_in_threadpool(db.commit)
    await _push_to_search_index(item)
    return item


@router.get("/{item_id}/price")
async def get_item_price(item_id: int, region: str = "EU", session: AsyncSession = Depends(get_async_session)):
    item = await session.get(Item, item_id)
    if item is None:
        raise HTTPException(status_code=404, detail="Item not found")
    cache_key = f"price:{item.sku}:{region}"
    cached = await run_in_threadpool(price_cache.get, cache_key)
    if cached is not None:
        return {"sku": item.sku, "region": region, "price_cents": int(cached), "cached": True}
    price = await run_in_threadpool(_price_with_tax, item.sku, region)
    await run_in_threadpool(price_cache.setex, cache_key, PRICE_TTL_SECONDS, price)
    return {"sku": item.sku, "region": region, "price_cents": price, "cached": False}


@router.post("/{item_id}/refresh-price", response_model=ItemOut)
async def refresh_price(item_id: int, session: AsyncSession = Depends(get_async_session)):
    item = await session.get(Item, item_id)
    if item is None:
        raise HTTPException(status_code=404, detail="Item not found")
    resp = await run_in_threadpool(requests.get, f"{PRICING_URL}/prices/{item.sku}", timeout=3)
    resp.raise_for_status()
    item.price_cents = resp.json()["price_cents"]
    await session.commit()
    return item


@router.delete("/{item_id}", status_code=204)
def delete_item(item_id: int, db: Session = Depends(get_db)) -> None:
    item = db.query(Item).filter(Item.id == item_id).first()
    if item is None:
        raise HTTPException(status_code=404, detail="Item not found")
    db.delete(item)
    db.commit()
    requests.delete(f"{SEARCH_URL}/items/{item_id}", timeout=5)
    price_cache.delete(f"price:{item.sku}:EU")
