"""The seeded Meta world, rebuilt on every reset.

Three people, chosen so the product can exercise each branch of "connect Meta":

- Alex Rivera manages three Pages (one with an IG business account, one with an IG
  creator account, one with no Instagram at all) and three ad accounts (active USD,
  disabled EUR, unsettled GBP).
- Sam Okafor has one Page with an IG business account and one active ad account.
- Jordan Lee manages nothing: the empty state.

The ids are fixed so tests, docs and the README can name them.
"""

from meta_sandbox.models import AdAccount, Business, IgAccount, MetaUser, Page, World

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
