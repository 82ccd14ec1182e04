"""Login throttling: counted atomically under parallel attempts, and never a way to lock the owner out."""

import threading

import pytest
from flask.testing import FlaskClient

from portal.accounts import services
from tests.conftest import PASSWORD, login

LIMIT = 5  # PORTAL_LOGIN_MAX_FAILURES by default


@pytest.fixture
def checks(monkeypatch):
    """Counts the password checks (and slows them a little, as argon2 does, to widen any race)."""
    counted = {"n": 0}
    lock = threading.Lock()
    real = services.verify_password

    def counting(password_hash, password):
        with lock:
            counted["n"] += 1
        threading.Event().wait(0.02)
        return real(password_hash, password)

    monkeypatch.setattr(services, "verify_password", counting)
    return counted


def _from(client, email, password, address):
    return client.post("/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address})


def test_thirty_parallel_wrong_passwords_check_the_password_at_most_the_limit(app, make_user, checks):
    make_user(email="race@b.cn")
    barrier = threading.Barrier(30)
    statuses = []

    def attempt():
        client = FlaskClient(app)
        barrier.wait()
        statuses.append(_from(client, "race@b.cn", "wrong-password-1", "10.1.1.1").status_code)

    threads = [threading.Thread(target=attempt) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert checks["n"] <= LIMIT
    assert sorted(set(statuses)) == [400, 429] and statuses.count(400) == checks["n"]


def test_failures_elsewhere_do_not_lock_the_owner_out_of_a_known_address(client, make_user):
    user = make_user(email="owner@b.cn")
    assert _from(client, user.email, PASSWORD, "10.0.0.1").status_code == 302  # the owner's usual address
    client.post("/logout")
    for n in range(30):  # an attacker from many addresses
        _from(client, user.email, "wrong-password-1", f"10.9.{n}.1")
    assert _from(client, user.email, "wrong-password-1", "10.9.99.1").status_code == 429  # guessing is capped
    assert _from(client, user.email, PASSWORD, "10.0.0.1").status_code == 302


def test_an_address_full_of_failures_still_lets_its_known_users_in(client, make_user):
    colleague = make_user(email="colleague@b.cn")
    assert _from(client, colleague.email, PASSWORD, "10.5.5.5").status_code == 302
    client.post("/logout")
    for n in range(4 * LIMIT + 5):  # someone behind the same NAT sprays other accounts
        _from(client, f"nobody{n}@b.cn", "wrong-password-1", "10.5.5.5")
    assert _from(client, "nobody-else@b.cn", "wrong-password-1", "10.5.5.5").status_code == 429
    assert _from(client, colleague.email, PASSWORD, "10.5.5.5").status_code == 302


def test_a_successful_login_starts_the_count_afresh(client, make_user):
    user = make_user(email="typo@b.cn")
    for _ in range(LIMIT - 1):
        assert login(client, user.email, "wrong-password-1").status_code == 400
    assert login(client, user.email).status_code == 302
    client.post("/logout")
    for _ in range(LIMIT - 1):
        assert login(client, user.email, "wrong-password-1").status_code == 400
    assert login(client, user.email).status_code == 302
