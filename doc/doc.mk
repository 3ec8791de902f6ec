# Manual pages (added with the daemon).
