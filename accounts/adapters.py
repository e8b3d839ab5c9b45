"""allauth adapters: where allauth meets our vault and our redirects."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter

from prosocial import vault


class AccountAdapter(DefaultAccountAdapter):
    """Account behaviour for ProSocial (defaults, kept as the one place to change them)."""


class MFAAdapter(DefaultMFAAdapter):
    """Store TOTP secrets and recovery-code seeds encrypted with the vault."""

    def encrypt(self, text: str) -> str:
        return vault.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return vault.decrypt(encrypted_text)
