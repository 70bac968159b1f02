import pytest

@pytest.mark.django_db(transaction=True)
def test_a(live_server):
    import httpx
    assert httpx.get(live_server.url + "/login").status_code == 200
