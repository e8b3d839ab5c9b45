"""The seeded Meta world, rebuilt on every reset.

Three people, chosen so the product can exercise each branch of "connect Meta":

- Alex Rivera manages three Pages (one with an IG business account, one with an IG
  creator account, one with no Instagram at all) and three ad accounts (active USD,
  disabled EUR, unsettled GBP).
- Sam Okafor has one Page with an IG business account and one active ad account.
- Jordan Lee manages nothing: the empty state.

The ids are fixed so tests, docs and the README can name them.

Customers (`build_engagement`): five people who talk to those Pages and accounts — Maria Lopez,
Priya Natarajan and Tom Becker; Kenji Sato, who has blocked Rivera Coffee Roasters and
@riveracoffee; and Dana Whitfield, who deleted her account. Each Page with Instagram has one
older post (and each account one feed media and one story) with a few comments, and there are
four conversations: Maria on Messenger two days ago (standard window closed, human-agent
window open), Priya on Instagram an hour ago (open), Kenji on Messenger two hours ago (open,
but he blocked the Page: sends answer 551) and Tom with the fitness Page 30 hours ago.
"""

from meta_sandbox.engagement import Comment, Customer, EngagementStore
from meta_sandbox.messaging import INSTAGRAM, MESSENGER, Conversation, Message
from meta_sandbox.models import AdAccount, Business, IgAccount, MetaUser, Page, World
from meta_sandbox.objects import IgMedia, PagePost

ALEX_ID = "10161234567890123"
SAM_ID = "10169876543210987"
JORDAN_ID = "10164829301746582"

PAGE_COFFEE_ID = "104738291056473"
PAGE_PHOTO_ID = "109284756301928"
PAGE_BAKERY_ID = "112093847561029"
PAGE_FITNESS_ID = "118374650192837"

IG_COFFEE_ID = "17841405793187218"
IG_PHOTO_ID = "17841463029184756"
IG_FITNESS_ID = "17841448271930465"

ACT_COFFEE_US = "act_1029384756102938"
ACT_PHOTO_EU = "act_2038475610293847"
ACT_BAKERY_UK = "act_3047561029384756"
ACT_FITNESS = "act_4056102938475610"

BUSINESS_RIVERA_ID = "293847561029384"

ALL_TASKS = ["ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE"]


def _users() -> list[MetaUser]:
    return [
        MetaUser(
            ALEX_ID,
            "Alex Rivera",
            "Alex",
            "Rivera",
            "alex.rivera@example.com",
            page_ids=[PAGE_COFFEE_ID, PAGE_PHOTO_ID, PAGE_BAKERY_ID],
            ad_account_ids=[ACT_COFFEE_US, ACT_PHOTO_EU, ACT_BAKERY_UK],
        ),
        MetaUser(
            SAM_ID,
            "Sam Okafor",
            "Sam",
            "Okafor",
            "sam.okafor@example.com",
            page_ids=[PAGE_FITNESS_ID],
            ad_account_ids=[ACT_FITNESS],
        ),
        MetaUser(JORDAN_ID, "Jordan Lee", "Jordan", "Lee", "jordan.lee@example.com"),
    ]


def _pages() -> list[Page]:
    return [
        Page(
            PAGE_COFFEE_ID,
            "Rivera Coffee Roasters",
            "Coffee Shop",
            "128673187201735",
            "riveracoffeeroasters",
            ALL_TASKS,
            fan_count=12840,
            followers_count=13205,
            ig_user_id=IG_COFFEE_ID,
        ),
        Page(
            PAGE_PHOTO_ID,
            "Alex Rivera Photography",
            "Photographer",
            "181475575221097",
            "alexriveraphoto",
            ALL_TASKS,
            fan_count=3410,
            followers_count=3622,
            ig_user_id=IG_PHOTO_ID,
        ),
        Page(
            PAGE_BAKERY_ID,
            "Rivera Family Bakery",
            "Bakery",
            "197871390225897",
            "riverafamilybakery",
            ["ADVERTISE", "ANALYZE", "CREATE_CONTENT"],
            fan_count=870,
            followers_count=912,
        ),
        Page(
            PAGE_FITNESS_ID,
            "Okafor Fitness Studio",
            "Gym/Physical Fitness Center",
            "150534008338515",
            "okaforfitness",
            ALL_TASKS,
            fan_count=5230,
            followers_count=5489,
            ig_user_id=IG_FITNESS_ID,
        ),
    ]


def _ig_accounts() -> list[IgAccount]:
    return [
        IgAccount(
            IG_COFFEE_ID,
            ig_id=5814302117,
            username="riveracoffee",
            name="Rivera Coffee Roasters",
            account_type="BUSINESS",
            biography="Small-batch roasts from Oakland. Fresh every Tuesday.",
            website="https://rivera-coffee.example.com",
            followers_count=24310,
            follows_count=412,
            media_count=386,
            page_id=PAGE_COFFEE_ID,
        ),
        IgAccount(
            IG_PHOTO_ID,
            ig_id=7720019346,
            username="alexrivera.photo",
            name="Alex Rivera",
            account_type="MEDIA_CREATOR",
            biography="Street & portrait photography.",
            website="https://alexrivera-photo.example.com",
            followers_count=8120,
            follows_count=903,
            media_count=1204,
            page_id=PAGE_PHOTO_ID,
        ),
        IgAccount(
            IG_FITNESS_ID,
            ig_id=6602847713,
            username="okafor.fitness",
            name="Okafor Fitness Studio",
            account_type="BUSINESS",
            biography="Strength classes for every body. Lagos · Online.",
            website="https://okafor-fitness.example.com",
            followers_count=15480,
            follows_count=287,
            media_count=642,
            page_id=PAGE_FITNESS_ID,
        ),
    ]


def _ad_accounts() -> list[AdAccount]:
    return [
        AdAccount(
            ACT_COFFEE_US.removeprefix("act_"),
            "Rivera Coffee — US",
            account_status=1,
            disable_reason=0,
            currency="USD",
            timezone_name="America/Los_Angeles",
            timezone_offset_hours_utc=-8,
            amount_spent="1284500",
            balance="0",
            spend_cap="5000000",
            business_id=BUSINESS_RIVERA_ID,
        ),
        AdAccount(
            ACT_PHOTO_EU.removeprefix("act_"),
            "Rivera Photo — EU",
            account_status=2,
            disable_reason=3,  # RISK_PAYMENT
            currency="EUR",
            timezone_name="Europe/Berlin",
            timezone_offset_hours_utc=1,
            amount_spent="48200",
            balance="1520",
            spend_cap="0",
        ),
        AdAccount(
            ACT_BAKERY_UK.removeprefix("act_"),
            "Rivera Bakery — UK",
            account_status=3,  # UNSETTLED
            disable_reason=0,
            currency="GBP",
            timezone_name="Europe/London",
            timezone_offset_hours_utc=0,
            amount_spent="9100",
            balance="2350",
            spend_cap="0",
            business_id=BUSINESS_RIVERA_ID,
        ),
        AdAccount(
            ACT_FITNESS.removeprefix("act_"),
            "Okafor Fitness Ads",
            account_status=1,
            disable_reason=0,
            currency="NGN",
            timezone_name="Africa/Lagos",
            timezone_offset_hours_utc=1,
            amount_spent="35000000",
            balance="0",
            spend_cap="0",
        ),
    ]


def build_world() -> World:
    """Return a fresh copy of the seeded world."""
    return World(
        users={user.id: user for user in _users()},
        pages={page.id: page for page in _pages()},
        ig_accounts={ig.id: ig for ig in _ig_accounts()},
        ad_accounts={account.id: account for account in _ad_accounts()},
        businesses={BUSINESS_RIVERA_ID: Business(BUSINESS_RIVERA_ID, "Rivera Ventures LLC")},
    )


# --- customers and what they said (meta_sandbox/engagement.py, messaging.py) -------------

MARIA_ID = "customer-maria"
PRIYA_ID = "customer-priya"
TOM_ID = "customer-tom"
KENJI_ID = "customer-kenji"  # blocked Rivera Coffee Roasters (Page and Instagram)
DANA_ID = "customer-dana"  # deleted her account

SEED_POST_COFFEE_ID = f"{PAGE_COFFEE_ID}_3100000000000001"
SEED_POST_PHOTO_ID = f"{PAGE_PHOTO_ID}_3100000000000002"
SEED_POST_FITNESS_ID = f"{PAGE_FITNESS_ID}_3100000000000003"
SEED_MEDIA_COFFEE_ID = "17900000000000101"
SEED_STORY_COFFEE_ID = "17900000000000102"
SEED_MEDIA_PHOTO_ID = "17900000000000201"
SEED_MEDIA_FITNESS_ID = "17900000000000301"
SEED_STORY_FITNESS_ID = "17900000000000302"

SEED_COMMENT_MARIA_ID = "3100000000000001_4000000000000001"  # on the coffee post
SEED_COMMENT_PAGE_REPLY_ID = "3100000000000001_4000000000000002"  # the Page answers Maria
SEED_COMMENT_TOM_ID = "3100000000000001_4000000000000003"
SEED_COMMENT_PRIYA_IG_ID = "17880000000000001"  # on @riveracoffee's media

SEED_CONVERSATION_MARIA_ID = "t_3000000000000001"  # Messenger, Rivera Coffee Roasters
SEED_CONVERSATION_PRIYA_ID = "aWdfZDoxOklHTWVzc2FnZVRocmVhZDpzZWVkLXByaXlh"  # Instagram
SEED_CONVERSATION_KENJI_ID = "t_3000000000000002"
SEED_CONVERSATION_TOM_ID = "t_3000000000000003"  # Messenger, Okafor Fitness Studio

HOUR = 3600
DAY = 24 * HOUR


def _customers() -> list[Customer]:
    return [
        Customer(MARIA_ID, "Maria Lopez", "Maria", "Lopez", "maria.eats.oakland"),
        Customer(PRIYA_ID, "Priya Natarajan", "Priya", "Natarajan", "priya.runs"),
        Customer(TOM_ID, "Tom Becker", "Tom", "Becker", "tombecker.photo"),
        Customer(
            KENJI_ID,
            "Kenji Sato",
            "Kenji",
            "Sato",
            "kenji.sato",
            blocked_asset_ids=[PAGE_COFFEE_ID, IG_COFFEE_ID],
        ),
        Customer(DANA_ID, "Dana Whitfield", "Dana", "Whitfield", "dana.w", deleted=True),
    ]


def _post(post_id: str, message: str, created_at: float) -> PagePost:
    return PagePost(
        id=post_id, owner_id=post_id.split("_")[0], created_at=created_at, message=message
    )


def _media(media_id: str, owner: str, caption: str | None, created_at: float, story: bool = False):
    return IgMedia(
        id=media_id,
        owner_id=owner,
        created_at=created_at,
        container_id="",
        media_type="IMAGE",
        media_product_type="STORY" if story else "FEED",
        caption=None if story else caption,
        shortcode=f"Seed{media_id[-7:]}",
        media_url=None,
    )


def _comment(comment_id: str, object_id: str, author: str | None, text: str, at: float, **kw):
    owner = object_id.split("_")[0] if "_" in object_id else IG_COFFEE_ID
    platform = "facebook" if "_" in object_id else "instagram"
    return Comment(comment_id, platform, owner, object_id, kw.get("parent"), author, text, at)


def _conversation(
    conversation_id: str, platform: str, page_id: str, owner: str, customer: str, at: float
) -> Conversation:
    return Conversation(conversation_id, platform, page_id, owner, customer, at, at)


def _message(mid: str, conversation: Conversation, from_customer: bool, text: str, at: float):
    conversation.updated_at = max(conversation.updated_at, at)
    return Message(
        mid,
        conversation.id,
        from_customer,
        at,
        text=text,
        opens_window=from_customer,
        messaging_type=None if from_customer else "RESPONSE",
    )


def build_engagement(now: float) -> EngagementStore:
    """Return the seeded customers, older content, comments and conversations, dated from `now`."""
    store = EngagementStore()
    store.customers = {customer.id: customer for customer in _customers()}
    posts = [
        _post(
            SEED_POST_COFFEE_ID,
            "New single origin: Huila, Colombia. Red apple and cocoa.",
            now - 3 * DAY,
        ),
        _post(SEED_POST_PHOTO_ID, "Portrait mini-sessions open for October.", now - 5 * DAY),
        _post(SEED_POST_FITNESS_ID, "Saturday bootcamp is back! 9am, all levels.", now - 2 * DAY),
    ]
    store.seeded_posts = {post.id: post for post in posts}
    media = [
        _media(SEED_MEDIA_COFFEE_ID, IG_COFFEE_ID, "Pour-over Sunday", now - 2 * DAY),
        _media(SEED_STORY_COFFEE_ID, IG_COFFEE_ID, None, now - HOUR, story=True),
        _media(SEED_MEDIA_PHOTO_ID, IG_PHOTO_ID, "Golden hour on Lake Merritt", now - 4 * DAY),
        _media(SEED_MEDIA_FITNESS_ID, IG_FITNESS_ID, "Form check Friday", now - DAY),
        _media(SEED_STORY_FITNESS_ID, IG_FITNESS_ID, None, now - 2 * HOUR, story=True),
    ]
    store.seeded_media = {item.id: item for item in media}
    comments = [
        _comment(
            SEED_COMMENT_MARIA_ID,
            SEED_POST_COFFEE_ID,
            MARIA_ID,
            "Do you ship to Berkeley?",
            now - 2 * DAY,
        ),
        _comment(
            SEED_COMMENT_PAGE_REPLY_ID,
            SEED_POST_COFFEE_ID,
            None,
            "We do! Shipping is free over $30.",
            now - 2 * DAY + HOUR,
            parent=SEED_COMMENT_MARIA_ID,
        ),
        _comment(
            SEED_COMMENT_TOM_ID,
            SEED_POST_COFFEE_ID,
            TOM_ID,
            "Tried it this morning. Amazing.",
            now - DAY,
        ),
        _comment(
            SEED_COMMENT_PRIYA_IG_ID,
            SEED_MEDIA_COFFEE_ID,
            PRIYA_ID,
            "Is the oat latte back?",
            now - 5 * HOUR,
        ),
    ]
    store.comments = {comment.id: comment for comment in comments}

    maria = _conversation(
        SEED_CONVERSATION_MARIA_ID,
        MESSENGER,
        PAGE_COFFEE_ID,
        PAGE_COFFEE_ID,
        MARIA_ID,
        now - 2 * DAY,
    )
    priya = _conversation(
        SEED_CONVERSATION_PRIYA_ID, INSTAGRAM, PAGE_COFFEE_ID, IG_COFFEE_ID, PRIYA_ID, now - HOUR
    )
    kenji = _conversation(
        SEED_CONVERSATION_KENJI_ID,
        MESSENGER,
        PAGE_COFFEE_ID,
        PAGE_COFFEE_ID,
        KENJI_ID,
        now - 2 * HOUR,
    )
    tom = _conversation(
        SEED_CONVERSATION_TOM_ID,
        MESSENGER,
        PAGE_FITNESS_ID,
        PAGE_FITNESS_ID,
        TOM_ID,
        now - 30 * HOUR,
    )
    store.conversations = {c.id: c for c in (maria, priya, kenji, tom)}
    messages = [
        _message("m_seed-maria-1", maria, True, "Hi! Are you open on Sunday?", now - 2 * DAY),
        _message("m_seed-maria-2", maria, False, "Yes, 8am to 2pm.", now - 2 * DAY + 600),
        _message("aWdfaXRlbTpzZWVkLXByaXlhLTE", priya, True, "Love the new cups!", now - HOUR),
        _message("m_seed-kenji-1", kenji, True, "Where is my order #1042?", now - 2 * HOUR),
        _message("m_seed-tom-1", tom, True, "Do you have a beginner class?", now - 30 * HOUR),
    ]
    store.messages = {message.id: message for message in messages}
    return store
