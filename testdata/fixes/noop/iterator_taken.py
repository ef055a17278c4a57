# fix-options: --unsafe-fixes
"""`Iterator` means something else: the dependency's annotation cannot become Iterator[Session]."""
from fastapi import Depends, FastAPI
from sqlalchemy.orm import Session, sessionmaker

app = FastAPI()
SessionLocal = sessionmaker()
Iterator = list


def get_db() -> Session:
    db = SessionLocal()
    return db


@app.get("/")
def index(db: Session = Depends(get_db)):
    return db
