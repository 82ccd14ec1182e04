"""Password hashing with argon2id (argon2-cffi's RFC 9106 low-memory profile: m=64 MiB, t=3, p=4,
above OWASP's minimum of m=19 MiB, t=2, p=1)."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

_production = PasswordHasher()
# Tests create hundreds of users; a cheaper argon2id profile there keeps the suite fast.
_testing = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

MIN_LENGTH = 10


def _hasher() -> PasswordHasher:
    return _testing if current_app.config.get("TESTING") else _production


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


# Verifying against this when the e-mail is unknown keeps response times alike for known and unknown users.
_DUMMY = {}


def burn_time(password: str) -> None:
    hasher = _hasher()
    key = id(hasher)
    if key not in _DUMMY:
        _DUMMY[key] = hasher.hash("not-a-real-password")
    verify_password(_DUMMY[key], password)


def password_problem(password: str) -> str | None:
    """Chinese description of why a new password is not acceptable, or None."""
    if len(password) < MIN_LENGTH:
        return f"密码至少需要 {MIN_LENGTH} 个字符。"
    if password.isdigit() or password.isalpha():
        return "密码不能只包含数字或只包含字母。"
    return None
