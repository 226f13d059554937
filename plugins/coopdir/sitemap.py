"""``sitemap.xml`` and ``robots.txt``: the site's page list for search engines."""

from __future__ import annotations

from xml.etree import ElementTree

from .urls import absolute

NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"


def sitemap_xml(site_url: str, paths: list[str]) -> bytes:
    """Return a sitemap listing each path once, sorted, as absolute URLs."""
    root = ElementTree.Element("urlset", xmlns=NAMESPACE)
    for path in sorted(set(paths)):
        ElementTree.SubElement(ElementTree.SubElement(root, "url"), "loc").text = (
            absolute(site_url, path)
        )
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def robots_txt(site_url: str) -> str:
    """Return a robots.txt that allows everything and names the sitemap."""
    return f"User-agent: *\nAllow: /\n\nSitemap: {site_url.rstrip('/')}/sitemap.xml\n"
