"""A stored passkey for tests that need one without a browser (tests only).

allauth keeps a passkey as the browser's registration response (`Authenticator.data
["credential"]`) and reads the public key back out of it whenever it lists keys or asks for
one. `make_passkey` builds such a response for a fresh P-256 key, with "none" attestation, as
a browser would send it: pages that list or offer passkeys work on it; logging in with it
needs the private key and a browser (test_browser_passkeys.py does that).
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from allauth.mfa.models import Authenticator
from cryptography.hazmat.primitives.asymmetric import ec
from fido2.cose import ES256
from fido2.webauthn import (
    Aaguid,
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorAttestationResponse,
    AuthenticatorData,
    CollectedClientData,
    RegistrationResponse,
)

from continuum.accounts.models import User


def registration_response(rp_id: str = "testserver") -> dict[str, Any]:
    key = ec.generate_private_key(ec.SECP256R1())
    credential_id = os.urandom(32)
    public_key = ES256.from_cryptography_key(key.public_key())  # type: ignore[no-untyped-call]
    credential = AttestedCredentialData.create(Aaguid.NONE, credential_id, public_key)
    flags = AuthenticatorData.FLAG.UP | AuthenticatorData.FLAG.UV | AuthenticatorData.FLAG.AT
    auth_data = AuthenticatorData.create(
        hashlib.sha256(rp_id.encode()).digest(), flags, 0, credential
    )
    client_data = CollectedClientData.create(
        type=CollectedClientData.TYPE.CREATE, challenge=os.urandom(32), origin=f"https://{rp_id}"
    )
    response = RegistrationResponse(
        raw_id=credential_id,
        response=AuthenticatorAttestationResponse(
            client_data=client_data,
            attestation_object=AttestationObject.create("none", auth_data, {}),
        ),
    )
    return dict(response)


def make_passkey(user: User, name: str = "Blue key") -> Authenticator:
    """A passkey of `user` named `name`, stored as allauth's WebAuthn.add stores one."""
    return Authenticator.objects.create(
        user=user,
        type=Authenticator.Type.WEBAUTHN,
        data={"name": name, "credential": registration_response()},
    )
