import pytest
pytestmark = pytest.mark.django_db
def test_x(client, role_users, make_customer, bank):
    make_customer("C1", org=bank.o1)
    client.force_login(role_users["risk_officer"])
    r = client.get("/api/v1/customers"); print(r.status_code, r.content.decode()[:300])
    from liuyou.customers import selectors
    fs = selectors.customer_filterset(user=role_users["risk_officer"], data={})
    print(fs.is_valid(), fs.errors, fs.form.errors)
