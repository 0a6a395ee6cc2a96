// Test support: namespaces, links and processes for root integration tests.
