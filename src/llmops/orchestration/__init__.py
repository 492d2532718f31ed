"""The one adapter to Prefect below flows/ and tasks/: event emitters and client helpers."""
