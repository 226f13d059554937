"""HTTP signatures on the requests the site sends to other servers (draft-cavage, rsa-sha256).

Mastodon, Misskey, Akkoma and GoToSocial accept a POST to an inbox only when it is signed with
the key its actor publishes: ``Signature: keyId="<actor>#main-key",algorithm="rsa-sha256",
headers="(request-target) host date digest",...`` with a ``Digest`` of the body. Signing is
apsig's (a maintained implementation); this module only says which key signs, as whom. The
inbox and delivery service (issue 5, part 3) sends its Accept and Create requests through it.
"""

from __future__ import annotations

from pathlib import Path

from apsig.draft.sign import Signer

from . import urls
from .apvocab import Account
from .keys import private_key


def key_id(site_url: str, account: Account) -> str:
    """Return the id of an account's key, as its actor publishes it (``<actor>#main-key``)."""
    return urls.absolute(site_url, account.actor) + "#main-key"


def signed_headers(
    method: str,
    url: str,
    body: bytes,
    *,
    account: Account,
    site_url: str,
    keys_dir: Path,
    headers: dict[str, str] | None = None,
) -> dict[str, str]:
    """Return the request's headers with ``Date``, ``Host``, ``Digest`` and ``Signature``."""
    signer = Signer(
        headers=dict(headers or {}),
        private_key=private_key(keys_dir, account.name),
        method=method,
        url=url,
        key_id=key_id(site_url, account),
        body=body,
    )
    return {str(name): str(value) for name, value in signer.sign().items()}
