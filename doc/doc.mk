# Manual pages (added with the daemon).
dist_man_MANS += doc/siproxd.conf.5
