"""Pelican settings for coopdir. Logic lives in plugins/coopdir; this file only names things."""

SITENAME = "coopdir"
SITEURL = ""
TIMEZONE = "UTC"
DEFAULT_LANG = "en"

PATH = "content"
THEME = "theme"
PLUGIN_PATHS = ["plugins"]
PLUGINS = ["coopdir"]
COOPDIR = {"coops_path": "coops"}

# Pelican's blog machinery is off: the directory is the site.
ARTICLE_PATHS: list[str] = []
PAGE_PATHS = ["pages"]
DIRECT_TEMPLATES: list[str] = []
STATIC_PATHS: list[str] = []
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
AUTHOR_SAVE_AS = ""
CATEGORY_SAVE_AS = ""
TAG_SAVE_AS = ""
ARCHIVES_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
CATEGORIES_SAVE_AS = ""
TAGS_SAVE_AS = ""
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"

DELETE_OUTPUT_DIRECTORY = True
OUTPUT_RETENTION: list[str] = []
# Each build is a fresh process (coopdir build), so templates never change under it: no stat per
# template lookup (tens of thousands in a big build).
JINJA_ENVIRONMENT = {
    "autoescape": True,
    "trim_blocks": True,
    "lstrip_blocks": True,
    "auto_reload": False,
}
