# Manual pages.
dist_man_MANS += doc/siproxd.8
