"""Search over co-ops and open openings: one set of documents, one analyzer, two engines.

``documents`` turns the directory into search documents; ``analysis`` is the one analyzer both
engines share (accent folding, stop words, stemming); ``whooshindex`` keeps a Whoosh index for
``coopdir search``; ``browserindex`` makes the static index the site's search box reads (its
scores: ``bm25``; its cache between builds: ``groupstore``, ``indexcache``), and ``indexfiles``
brings the site's copy up to date, writing only the files that changed.
"""
