import pytest
from tests.publishing.test_views import reel, meta, files, media_root  # noqa
pytestmark = pytest.mark.django_db

def test_dbg(owner, meta, files):
    p = reel(owner, meta, files["wide"])
    for c in p.preflight: print(c)
    p2 = reel(owner, meta, files["reel"])
    for c in p2.preflight: print(c)
    from publishing.preflight import preflight_blockers
    print(preflight_blockers(p2))
