"""Từng Nhà: the field tool of the community digital technology teams."""
