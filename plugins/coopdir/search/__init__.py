"""Search over co-ops and open openings: one set of documents, one analyzer, two engines.

``documents`` turns the directory into search documents; ``analysis`` is the one analyzer both
engines share (accent folding, stop words, stemming); ``whooshindex`` keeps a Whoosh index for
``coopdir search``; ``browserindex`` writes the static index the site's search box reads.
"""
