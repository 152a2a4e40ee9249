import pytest


@pytest.fixture
def ledger_matches_levels():
    """Call at the end of a test: every level equals the sum of its movements and its open allocations."""
    from inventory.selectors import stock_audit_differences

    def check():
        differences = stock_audit_differences()
        assert differences == [], [d.describe() for d in differences]

    return check
