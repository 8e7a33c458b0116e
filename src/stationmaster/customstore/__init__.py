"""ShipStation's Custom Store protocol: the XML order export it pulls and the ship notices it posts.

``export`` reads a window of modified orders page by page, ``writer`` streams them as the
XML document ShipStation imports, ``reader`` parses a ShipNotice safely, and ``notify``
applies one through the same tracking path as push mode.
"""
