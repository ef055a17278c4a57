"""A UTF-8 BOM file: « nettoyage » in a finally."""
import aiosqlite
from fastapi import Depends, FastAPI

app = FastAPI()


async def get_conn():
    conn = await aiosqlite.connect("app.db")
    try:
        yield conn  # ☺
        await conn.commit()
    finally:
        await conn.close()


@app.get("/rows")
async def rows(conn=Depends(get_conn)):
    return []
