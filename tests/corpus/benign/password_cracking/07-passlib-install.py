%pip install passlib[bcrypt]
from passlib.context import CryptContext

pwd_context = CryptContext(schemes=["argon2", "bcrypt"], deprecated="auto")
hashed = pwd_context.hash("s3cret-passphrase")
print(pwd_context.verify("s3cret-passphrase", hashed), pwd_context.needs_update(hashed))
