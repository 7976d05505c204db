"""What every app's tests share: factory_boy factories (`factories`), ready-made buying
set-ups (`buying`), the concurrency harness (`concurrency`), API helpers (`api`), catalogue
file builders (`catalogue_files`) and the pytest fixtures (`fixtures`, registered for every
test by src/mercato/conftest.py).

A test module imports from here or from its own app's tests package, never from another
app's tests (src/mercato/core/tests/test_architecture.py fails when one does)."""
