"""A service object over a sync SQLAlchemy session, with a base class in another module."""

from sqlalchemy.orm import Session

from .base import Service


class UserService(Service):
    def __init__(self, session: Session):
        self.session = session

    def get(self, user_id):
        return self.session.get(dict, user_id)

    def label(self, user_id):
        return f"user {user_id}"  # blocks nothing

    async def aget(self, user_id):
        return user_id
