"""One RSA key pair per ActivityPub actor, kept outside the repository and the built site.

Servers check signed requests against the public key an actor publishes, so an actor's key must
not change from build to build: the pair is generated once, on first use, into the keys folder
(``COOPDIR_KEYS_DIR``, else ``~/.local/share/coopdir/keys``), and read from there afterwards.
The build only reads public keys; the private key signs what the site sends
(``signatures.py``). A folder may hold only ``<account>.public.pem`` (as the test fixtures do):
then it can build but not sign.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_BITS = 2048
"""What Mastodon, Misskey and GoToSocial generate and accept for rsa-sha256 signatures."""


def default_keys_dir() -> Path:
    """Return the keys folder: ``COOPDIR_KEYS_DIR``, else ``~/.local/share/coopdir/keys``."""
    given = os.environ.get("COOPDIR_KEYS_DIR", "").strip()
    return Path(given) if given else Path.home() / ".local/share/coopdir/keys"


def private_key_path(keys_dir: Path, account: str) -> Path:
    """Return where an account's private key lives (PEM, PKCS #8, readable by its owner only)."""
    return keys_dir / f"{account}.pem"


def public_key_path(keys_dir: Path, account: str) -> Path:
    """Return where an account's public key lives (PEM, SubjectPublicKeyInfo)."""
    return keys_dir / f"{account}.public.pem"


def public_key_pem(keys_dir: Path, account: str) -> str:
    """Return an account's public key as PEM, generating the key pair on first use."""
    public = public_key_path(keys_dir, account)
    if public.is_file():
        return public.read_text("ascii")
    private = private_key_path(keys_dir, account)
    if private.is_file():
        key = serialization.load_pem_private_key(private.read_bytes(), password=None)
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        _write_private(private, key)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    public.write_bytes(pem)
    return pem.decode("ascii")


def private_key(keys_dir: Path, account: str) -> rsa.RSAPrivateKey:
    """Return an account's private key, for signing what the site sends (never published).

    Only a folder that also made the public key can sign: a folder holding just the public
    key (copied from elsewhere) is an error, since a new pair would not match the published key.
    """
    path = private_key_path(keys_dir, account)
    if not path.is_file():
        if public_key_path(keys_dir, account).is_file():
            raise FileNotFoundError(
                f"{path}: no private key for {account!r}, only its public key — copy the private"
                " key from the machine that builds the site (COOPDIR_KEYS_DIR there)"
            )
        public_key_pem(keys_dir, account)
    key = _load_private(str(path), path.stat().st_mtime_ns)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path}: not an RSA private key — remove it to have a new pair made")
    return key


@functools.lru_cache(maxsize=1024)
def _load_private(path: str, mtime_ns: int) -> Any:
    """Load a private key once per file version (not once per signed request).

    OpenSSL checks an RSA key as it loads it (tens of milliseconds), which would dominate
    ``coopdir deliver``'s thousands of requests.
    """
    return serialization.load_pem_private_key(Path(path).read_bytes(), password=None)


def _write_private(path: Path, key: rsa.RSAPrivateKey) -> None:
    """Write a private key so that only its owner can read it, from the first byte on."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
