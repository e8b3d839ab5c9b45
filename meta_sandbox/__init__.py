"""meta_sandbox: a local, stateful emulator of the Meta Graph API subset ProSocial uses.

It imports nothing from the Django project and is reached only over HTTP, like the
real Meta. Start it with `python -m meta_sandbox` or, in tests,
`meta_sandbox.testing.start_server()`; build the WSGI app with
`meta_sandbox.app.create_app()`. Facts it follows: shared/meta/GRAPH_NOTES.md.
"""
