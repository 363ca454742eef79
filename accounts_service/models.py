"""How accounts are stored: the accounts database belongs to this service alone."""

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shop_common.identity.caller import ROLES
from shop_common.persistence.models import OutboxMessageMixin, UtcDateTime


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (CheckConstraint(f"role IN {ROLES}", name="accounts_role_known"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # lower-cased before it is stored
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[object] = mapped_column(UtcDateTime)


class RefreshToken(Base):
    """A refresh token's digest (never the token), its family (one sign-in) and what became of it."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (
        Index("refresh_tokens_family_id", "family_id"),
        Index("refresh_tokens_expires_at", "expires_at"),
    )

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    created_at: Mapped[object] = mapped_column(UtcDateTime)
    expires_at: Mapped[object] = mapped_column(UtcDateTime)
    used_at: Mapped[object | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[object | None] = mapped_column(UtcDateTime)


class OutboxMessage(OutboxMessageMixin, Base):
    pass
