"""User feedback: capture (files, HTTP), the feedback lake tables and the flywheel to golden data.

Modules are imported on demand; importing this package is cheap (settings import it).
"""
