"""The reference site: a static site rendered from one published release alone (`fitcat site`)."""
