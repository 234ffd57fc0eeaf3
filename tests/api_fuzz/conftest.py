def pytest_configure(config):
    config.addinivalue_line(
        "markers", "schemathesis: the schema fuzzer over the whole API (tests/api_fuzz)")
