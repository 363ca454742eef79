import pytest


@pytest.fixture
def orders_db(clean_databases):
    with clean_databases.session("orders") as session:
        yield session


@pytest.fixture
def inventory_db(clean_databases):
    with clean_databases.session("inventory") as session:
        yield session


@pytest.fixture
def notifications_db(clean_databases):
    with clean_databases.session("notifications") as session:
        yield session


@pytest.fixture
def accounts_db(clean_databases):
    with clean_databases.session("accounts") as session:
        yield session


@pytest.fixture
def payments_db(clean_databases):
    with clean_databases.session("payments") as session:
        yield session


@pytest.fixture
def shipping_db(clean_databases):
    with clean_databases.session("shipping") as session:
        yield session
