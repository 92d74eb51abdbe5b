"""User store for the lab's annotation tool: salted password hashing with bcrypt and argon2."""
import bcrypt
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError

ph = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=2)


def hash_password(password: str) -> str:
    return ph.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return ph.verify(stored, password)
    except VerifyMismatchError:
        return False


def legacy_check(password: str, legacy_hash: bytes) -> bool:
    # accounts created before the argon2 migration
    return bcrypt.checkpw(password.encode(), legacy_hash)


users = {"alice": hash_password("correct horse battery staple")}
print(verify_password(users["alice"], "correct horse battery staple"))
