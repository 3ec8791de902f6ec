# Manual pages.
dist_man_MANS += doc/siproxd.8
dist_man_MANS += doc/siproxd.conf.5
