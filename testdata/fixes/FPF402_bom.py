"""A UTF-8 BOM file: « nettoyage » in a finally."""
import aiosqlite
from fastapi import Depends, FastAPI

app = FastAPI()


async def get_conn():
    conn = await aiosqlite.connect("app.db")
    yield conn  # ☺
    await conn.commit()
    await conn.close()


@app.get("/rows")
async def rows(conn=Depends(get_conn)):
    return []
