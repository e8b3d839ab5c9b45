"""factory_boy factories for the inbox's rows (threads built directly, without webhooks).

``ThreadFactory(workspace=ws)`` makes a Facebook comment thread on a Page of a connection of
``ws`` with a contact; ``MessageFactory(thread=t)`` an inbound message in it. Pass ``page``/
``instagram_account`` to put several threads on the same account.
"""

from datetime import timedelta

import factory
from django.utils import timezone

from inbox.models import Channel, Contact, Message, Note, Thread
from meta_integration.models import InstagramAccount, MetaConnection, MetaPage
from tests.factories import WorkspaceFactory


class MetaConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MetaConnection

    workspace = factory.SubFactory(WorkspaceFactory)
    meta_user_id = factory.Sequence(lambda n: f"1000000000{n:05d}")
    display_name = "Alex Marketer"


class MetaPageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MetaPage

    connection = factory.SubFactory(MetaConnectionFactory)
    workspace = factory.SelfAttribute("connection.workspace")
    page_id = factory.Sequence(lambda n: f"2000000000{n:05d}")
    name = factory.Sequence(lambda n: f"Coffee Corner {n}")
    is_selected = True


class InstagramAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InstagramAccount

    connection = factory.SubFactory(MetaConnectionFactory)
    workspace = factory.SelfAttribute("connection.workspace")
    ig_user_id = factory.Sequence(lambda n: f"1784000000{n:05d}")
    username = factory.Sequence(lambda n: f"coffeecorner{n}")
    is_selected = True


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    workspace = factory.SubFactory(WorkspaceFactory)
    channel = Channel.FACEBOOK
    meta_id = factory.Sequence(lambda n: f"3000000000{n:05d}")
    name = factory.Sequence(lambda n: f"Customer {n}")


class ThreadFactory(factory.django.DjangoModelFactory):
    """A Facebook comment thread by default; ``instagram_account=…`` makes it Instagram."""

    class Meta:
        model = Thread

    class Params:
        instagram = factory.Trait(
            channel=Channel.INSTAGRAM,
            page=None,
            instagram_account=factory.SubFactory(
                InstagramAccountFactory,
                connection=factory.SelfAttribute("..connection"),
            ),
            account_meta_id=factory.SelfAttribute("instagram_account.ig_user_id"),
        )

    workspace = factory.SubFactory(WorkspaceFactory)
    connection = factory.SubFactory(
        MetaConnectionFactory, workspace=factory.SelfAttribute("..workspace")
    )
    page = factory.SubFactory(MetaPageFactory, connection=factory.SelfAttribute("..connection"))
    instagram_account = None
    account_meta_id = factory.LazyAttribute(lambda t: t.page.page_id if t.page else "")
    channel = Channel.FACEBOOK
    kind = Thread.Kind.COMMENT
    external_key = factory.Sequence(lambda n: f"{n}_{n}")
    contact = factory.SubFactory(
        ContactFactory,
        workspace=factory.SelfAttribute("..workspace"),
        channel=factory.SelfAttribute("..channel"),
    )
    snippet = "Is this blend still in stock?"
    is_unread = True
    last_message_at = factory.Sequence(lambda n: timezone.now() - timedelta(minutes=n))


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    thread = factory.SubFactory(ThreadFactory)
    workspace = factory.SelfAttribute("thread.workspace")
    account_meta_id = factory.SelfAttribute("thread.account_meta_id")
    external_id = factory.Sequence(lambda n: f"m_{n}")
    direction = Message.Direction.INBOUND
    author_meta_id = factory.LazyAttribute(
        lambda m: m.thread.contact.meta_id if m.thread and m.thread.contact else ""
    )
    author_name = factory.LazyAttribute(
        lambda m: m.thread.contact.name if m.thread and m.thread.contact else ""
    )
    text = "Is this blend still in stock?"
    sent_at = factory.LazyFunction(timezone.now)


class NoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Note

    thread = factory.SubFactory(ThreadFactory)
    workspace = factory.SelfAttribute("thread.workspace")
    text = "Regular customer; offer the loyalty discount."
