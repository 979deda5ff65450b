"""Administrators (管理员) bind people without the server's shell: invites one by one or for
everyone not bound yet, who is bound on which channel, unbinding; and binding by the mobile
number WeCom's OAuth returns. Every act checks the administrator again, every bind is audited."""

from __future__ import annotations

import re
from dataclasses import dataclass

from issuance.core.audit import AuditEntry
from issuance.core.errors import Conflict, Forbidden, Invalid, NotFound
from issuance.core.people import Binding, Invite, Person, Role
from issuance.core.ports import AccountRepository
from issuance.xcert.service import Issuance

_PHONE = re.compile(r"1[0-9]{10}")


@dataclass(frozen=True)
class Unbound:
    """解绑: who lost their chat accounts, and on which channels."""

    person: Person
    channels: list[str]


def check_admin(actor: Person) -> None:
    """Only an administrator invites, lists bindings and unbinds."""
    if actor.role != Role.ADMIN:
        raise Forbidden("admin.only")


def phone_of(text: str) -> str:
    """A mainland mobile number as typed (spaces and dashes allowed), or Invalid."""
    phone = re.sub(r"[\s-]", "", text)
    if not _PHONE.fullmatch(phone):
        raise Invalid("admin.phone_shape", phone=text.strip())
    return phone


class Accounts:
    """The administrator's use cases over people's chat accounts."""

    def __init__(self, issuance: Issuance) -> None:
        self.issuance = issuance
        self.store: AccountRepository = issuance.store

    async def _person(self, phone: str) -> Person:
        person = await self.store.person_by_ref(phone_of(phone))
        if person is None:
            raise NotFound("admin.phone_unknown", phone=phone.strip())
        return person

    def _audit(self, actor: str, action: str, subject: str) -> AuditEntry:
        return AuditEntry(self.store.now_iso(), actor, action, subject)

    async def invite(self, actor: Person, phone: str) -> Invite:
        """邀请 手机号: a one-time invite code for that person (audited)."""
        check_admin(actor)
        person = await self._person(phone)
        invite = await self.issuance.create_invite(person.phone)
        entry = self._audit(f"person:{actor.id}", "account.invite", f"person:{person.id}")
        await self.store.append_audit(entry)
        return invite

    async def invites_for_unbound(self, actor: Person) -> list[Invite]:
        """邀请表: an invite for everyone bound on no channel (the administrator aside)."""
        check_admin(actor)
        people = [b.person for b in await self.store.bindings() if not b.channels]
        invites = [await self.issuance.create_invite(p.phone) for p in people if p.id != actor.id]
        if invites:
            subject = "people:" + ",".join(str(i.person.id) for i in invites)
            await self.store.append_audit(
                self._audit(f"person:{actor.id}", "account.invite", subject)
            )
        return invites

    async def bindings(self, actor: Person) -> list[Binding]:
        """绑定情况: everyone, with the channels they are bound on."""
        check_admin(actor)
        return await self.store.bindings()

    async def unbind(self, actor: Person, phone: str) -> Unbound:
        """解绑 手机号: the person's chat accounts are dropped at once (audited)."""
        check_admin(actor)
        person = await self._person(phone)
        entry = self._audit(f"person:{actor.id}", "account.unbind", f"person:{person.id}")
        channels = await self.store.unbind_accounts(person.id, entry)
        if not channels:
            raise Conflict("admin.not_bound", name=person.name)
        return Unbound(person, channels)

    async def bind_by_phone(self, channel: str, account: str, phone: str) -> Person:
        """The channel vouches for the account's mobile number (WeCom's OAuth2 with the member's
        consent): the person with that number is bound to it."""
        person = await self.store.person_by_ref(re.sub(r"^\+?86", "", phone.strip()))
        if person is None or not _PHONE.fullmatch(person.phone):
            raise NotFound("admin.bind_no_match")
        entry = self._audit(f"person:{person.id}", "account.bind", f"{channel}:mobile")
        await self.store.bind_account(person.id, channel, account, None, entry)
        return person

    async def administrators(self) -> list[Person]:
        """Whom a person who cannot bind should ask."""
        return [b.person for b in await self.store.bindings() if b.person.role == Role.ADMIN]

    async def add_admin(self, phone: str, name: str, org_ref: str | None = None) -> Person:
        """`qianfa admin add`: a 管理员 in the organization `org_ref`, by default the province
        department (the one 主管部门 above all others), once at set-up."""
        phone = phone_of(phone)
        name = name.strip()
        if not name:
            raise Invalid("admin.name_required")
        existing = await self.store.person_by_ref(phone)
        if existing is not None:
            if existing.role == Role.ADMIN:
                return existing
            raise Conflict("admin.phone_taken", name=existing.name, role=existing.role)
        if org_ref is None:
            provinces = [d for d in await self.store.departments() if d.parent_id is None]
            if len(provinces) != 1:
                raise Invalid("admin.org_needed")
            org_ref = provinces[0].code
        code = await self.store.org_code(org_ref.strip())
        if code is None:
            raise NotFound("admin.org_unknown", org=org_ref)
        org = (await self.store.orgs_by_code([code]))[code]
        await self.store.insert_people([(name, phone, org.id, Role.ADMIN, None)])
        entry = self._audit("admin", "person.admin_add", f"org:{org.code}")
        await self.store.append_audit(entry)
        person = await self.store.person_by_ref(phone)
        assert person is not None
        return person
