"""Publish: the GitHub-readable lists, the static mirror site and Atom feeds.

* :mod:`newsvault.publish.lists` - ``lists/<source>.md`` in the original archivers' format, plus
  monthly pages, a list of deleted articles and the README index (written into the archive);
* :mod:`newsvault.publish.render` - :class:`PageRenderer`, every HTML page of the site, for the
  static build and for the live reader server alike;
* :mod:`newsvault.publish.site` - the incremental static-site build (``newsvault build --site``),
  :class:`~newsvault.publish.site.SiteBuild`, one method per phase;
* :mod:`newsvault.publish.atom` - Atom 1.0 feeds, one builder (``feed_for``) for site and server;
* :mod:`newsvault.publish.lang` - the language of a text (zh-Hans, zh-Hant, en) for pages and feeds;
* :mod:`newsvault.sanitize` - the HTML policy, and what makes archived HTML safe to publish.
"""
