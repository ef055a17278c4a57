import sqlite3

__all__ = ["save"]


def save(row):
    with sqlite3.connect("app.db") as conn:
        conn.execute("insert into t values (?)", (row,))
