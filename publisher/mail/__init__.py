"""The digest mail: subscribers, the digest's views and letters, signed links."""
