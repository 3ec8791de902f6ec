# Each module's tests: tests/unit/test_<module>.c
