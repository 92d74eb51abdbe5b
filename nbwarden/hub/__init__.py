"""The hub: nbwarden as a JupyterHub-managed service plus hooks.

* :mod:`nbwarden.hub.service`: the service (admin dashboard, user page, REST
  API, Prometheus metrics, the quota reconcile loop and account linking);
* :mod:`nbwarden.hub.hooks`: what ``jupyterhub_config.py`` imports
  (``pre_spawn_hook``, ``post_auth_hook``, :func:`~nbwarden.hub.hooks.configure`);
* :mod:`nbwarden.hub.quotas`: per-group rolling-window quotas and usage accounting;
* :mod:`nbwarden.hub.linking`: multi-account cases from shared signals;
* :mod:`nbwarden.hub.notify`: a user-server extension that shows hub notices
  (quota warnings) under the running cell;
* :mod:`nbwarden.hub.models`: the extra tables, on the ledger's database;
* ``python -m nbwarden.hub``: the one-command demo platform (``make run``).
"""
